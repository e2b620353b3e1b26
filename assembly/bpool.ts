// Binary max-pool on packed bits (docs/KERNELS.md "Bit convention"): max over ±1 values is -1
// only when every tap is -1, i.e. the AND of the bits.
import { wordsFor, lastWordMask } from './bits';
import { convParams } from './abi';
import { validHi, validLo } from './window';

/**
 * Geometry from ConvParams (abi.ts; C = channels, O unused). Padded taps are ignored; a window
 * with no in-bounds tap (only when pads >= kernel) yields -1 on every real channel.
 */
export function bmaxpool(p: usize, x: usize, out: usize): void {
  const prm = convParams(p);
  const N = prm.n, H = prm.h, W = prm.w, C = prm.c;
  const KH = prm.kh, KW = prm.kw, SH = prm.sh, SW = prm.sw;
  const DH = prm.dh, DW = prm.dw, PT = prm.pt, PL = prm.pl;
  const OH = prm.oh, OW = prm.ow;
  const CW = wordsFor(C);
  const last = lastWordMask(C);
  const pixB = <usize>CW << 3;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const o = out + <usize>((n * OH + oh) * OW + ow) * pixB;
        for (let j = 0; j < CW; j++) store<u64>(o + (<usize>j << 3), j == CW - 1 ? last : <u64>-1);
        const kh1 = validHi(oh, SH, PT, DH, KH, H), kw0 = validLo(ow, SW, PL, DW, KW, W), kw1 = validHi(ow, SW, PL, DW, KW, W);
        for (let kh = validLo(oh, SH, PT, DH, KH, H); kh < kh1; kh++) {
          const ih = oh * SH - PT + kh * DH;
          for (let kw = kw0; kw < kw1; kw++) {
            const iw = ow * SW - PL + kw * DW;
            const s = x + <usize>((n * H + ih) * W + iw) * pixB;
            let j = 0;
            for (; j + 2 <= CW; j += 2) {
              const b = <usize>j << 3;
              v128.store(o + b, v128.and(v128.load(o + b), v128.load(s + b)));
            }
            if (j < CW) {
              const b = <usize>j << 3;
              store<u64>(o + b, load<u64>(o + b) & load<u64>(s + b));
            }
          }
        }
      }
    }
  }
}
