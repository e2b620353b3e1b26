// Elementwise / per-row float glue ops. x and y may alias (in place) unless noted.

/** y[r][c] = x[r][c] * s[c] + t[c] (BatchNorm folded; separate mul and add), optional ReLU. */
export function scaleShift(x: usize, y: usize, rows: i32, C: i32, s: usize, t: usize, relu: i32): void {
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * C) << 2), yr = y + (<usize>(r * C) << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const b = <usize>c << 2;
      let v = f32x4.add(f32x4.mul(v128.load(xr + b), v128.load(s + b)), v128.load(t + b));
      if (relu) v = f32x4.max(v, zero);
      v128.store(yr + b, v);
    }
    for (; c < C; c++) {
      const b = <usize>c << 2;
      let v: f32 = load<f32>(xr + b) * load<f32>(s + b) + load<f32>(t + b);
      if (relu) v = max<f32>(v, 0);
      store<f32>(yr + b, v);
    }
  }
}

export function frelu(x: usize, y: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const b = <usize>i << 2;
    v128.store(y + b, f32x4.max(v128.load(x + b), zero));
  }
  for (; i < n; i++) {
    const b = <usize>i << 2;
    store<f32>(y + b, max<f32>(load<f32>(x + b), 0));
  }
}

export function ftanh(x: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const b = <usize>i << 2;
    store<f32>(y + b, Mathf.tanh(load<f32>(x + b)));
  }
}

/** y = a + b elementwise. */
export function fadd(a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** Row-wise softmax over the last axis (max-subtracted). */
export function fsoftmax(x: usize, y: usize, rows: i32, C: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * C) << 2), yr = y + (<usize>(r * C) << 2);
    let m: f32 = -Infinity;
    for (let c = 0; c < C; c++) m = max<f32>(m, load<f32>(xr + (<usize>c << 2)));
    let s: f64 = 0;
    for (let c = 0; c < C; c++) {
      const e = Mathf.exp(load<f32>(xr + (<usize>c << 2)) - m);
      store<f32>(yr + (<usize>c << 2), e);
      s += e;
    }
    const inv = <f32>(1.0 / s);
    for (let c = 0; c < C; c++) {
      const b = <usize>c << 2;
      store<f32>(yr + b, load<f32>(yr + b) * inv);
    }
  }
}
