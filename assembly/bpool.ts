// Binary max-pool directly on packed bits (bits.ts: bit 1 = -1). max over ±1 values is -1
// only when every tap is -1, i.e. the AND of the bits. Padded taps are ignored; a window with
// no in-bounds tap (only possible when pads >= kernel) yields -1 on every real channel.
// Geometry from the params struct (params.ts); C = channels, O unused.
import { wordsFor, lastWordMask } from './bits';
import { geti, P_N, P_H, P_W, P_C, P_KH, P_KW, P_SH, P_SW, P_DH, P_DW, P_PT, P_PL, P_OH, P_OW } from './params';

export function bmaxpool(p: usize, x: usize, out: usize): void {
  const N = geti(p, P_N), H = geti(p, P_H), W = geti(p, P_W), C = geti(p, P_C);
  const KH = geti(p, P_KH), KW = geti(p, P_KW), SH = geti(p, P_SH), SW = geti(p, P_SW);
  const DH = geti(p, P_DH), DW = geti(p, P_DW), PT = geti(p, P_PT), PL = geti(p, P_PL);
  const OH = geti(p, P_OH), OW = geti(p, P_OW);
  const CW = wordsFor(C);
  const last = lastWordMask(C);
  const pixB = <usize>CW << 3;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const o = out + <usize>((n * OH + oh) * OW + ow) * pixB;
        for (let j = 0; j < CW; j++) store<u64>(o + (<usize>j << 3), j == CW - 1 ? last : <u64>-1);
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH - PT + kh * DH;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW - PL + kw * DW;
            if (iw < 0 || iw >= W) continue;
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
