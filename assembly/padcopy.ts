// Copies an NHWC tensor into a spatially padded scratch tensor, so the hot conv loops never
// test bounds: every tap of every output pixel reads real memory.

@inline function fillPixels(dst: usize, count: i32, pixWords: i32, fill: u64, lastFill: u64): void {
  for (let i = 0; i < count; i++) {
    const d = dst + (<usize>(i * pixWords) << 3);
    for (let j = 0; j < pixWords - 1; j++) store<u64>(d + (<usize>j << 3), fill);
    store<u64>(d + (<usize>(pixWords - 1) << 3), lastFill);
  }
}

// The pad value of a pixel is
// `fill` for every word except the last, which gets `lastFill` (lets the binary -1 pad keep
// channel-padding bits 0, per docs/KERNELS.md "Bit convention"). Float convs pass 0/0 (zero padding).
// Words here are u64; `pixWords` = words per pixel (CW for packed, C/2 is NOT used: float
// callers use padCopyF32 below).
export function padCopyWords(src: usize, dst: usize, N: i32, H: i32, W: i32, pixWords: i32,
  PT: i32, PL: i32, PB: i32, PR: i32, fill: u64, lastFill: u64): void {
  const Hp = H + PT + PB, Wp = W + PL + PR;
  const rowBytes = <usize>(W * pixWords) << 3;
  for (let n = 0; n < N; n++) {
    const dn = dst + (<usize>(n * Hp * Wp * pixWords) << 3);
    const sn = src + <usize>n * <usize>H * rowBytes;
    fillPixels(dn, PT * Wp, pixWords, fill, lastFill);
    for (let h = 0; h < H; h++) {
      const d = dn + (<usize>((PT + h) * Wp * pixWords) << 3);
      fillPixels(d, PL, pixWords, fill, lastFill);
      memory.copy(d + (<usize>(PL * pixWords) << 3), sn + <usize>h * rowBytes, rowBytes);
      fillPixels(d + (<usize>((PL + W) * pixWords) << 3), PR, pixWords, fill, lastFill);
    }
    fillPixels(dn + (<usize>((PT + H) * Wp * pixWords) << 3), PB * Wp, pixWords, fill, lastFill);
  }
}

/** Zero-padded copy of an f32 NHWC tensor with C channels per pixel. */
export function padCopyF32(src: usize, dst: usize, N: i32, H: i32, W: i32, C: i32,
  PT: i32, PL: i32, PB: i32, PR: i32): void {
  const Hp = H + PT + PB, Wp = W + PL + PR;
  const rowBytes = <usize>(W * C) << 2;
  const pix = <usize>C << 2;
  for (let n = 0; n < N; n++) {
    const dn = dst + (<usize>(n * Hp * Wp * C) << 2);
    const sn = src + <usize>n * <usize>H * rowBytes;
    memory.fill(dn, 0, <usize>(PT * Wp) * pix);
    for (let h = 0; h < H; h++) {
      const d = dn + (<usize>((PT + h) * Wp * C) << 2);
      memory.fill(d, 0, <usize>PL * pix);
      memory.copy(d + <usize>PL * pix, sn + <usize>h * rowBytes, rowBytes);
      memory.fill(d + <usize>(PL + W) * pix, 0, <usize>PR * pix);
    }
    memory.fill(dn + <usize>((PT + H) * Wp) * pix, 0, <usize>(PB * Wp) * pix);
  }
}
