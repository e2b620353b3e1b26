// The conv/pool geometry struct shared by every windowed kernel: 20 little-endian i32 at `p`
// (80 bytes, written by src/wasm/kernels.ts). Kernels trust it; checks live in the TS op layer.
//
//  0 N   1 H   2 W   3 C   4 O   5 KH  6 KW  7 SH  8 SW  9 DH  10 DW
// 11 PT 12 PL 13 PB 14 PR 15 OH 16 OW 17 padMode 18 flags 19 popcount (binary conv: 0 = the
// global mode of popcount.ts, m + 1 = strategy m for this layer; other kernels ignore it)
// OH = floor((H + PT + PB - DH*(KH-1) - 1) / SH) + 1, same for OW.

export const P_N = 0;
export const P_H = 1;
export const P_W = 2;
export const P_C = 3;
export const P_O = 4;
export const P_KH = 5;
export const P_KW = 6;
export const P_SH = 7;
export const P_SW = 8;
export const P_DH = 9;
export const P_DW = 10;
export const P_PT = 11;
export const P_PL = 12;
export const P_PB = 13;
export const P_PR = 14;
export const P_OH = 15;
export const P_OW = 16;
export const P_PADMODE = 17;
export const P_FLAGS = 18;
export const P_POPCOUNT = 19;
export const PARAMS_BYTES = 80;

/** flags bit 0: ReLU on float output. */
export const FLAG_RELU: i32 = 1;
/** flags bit 1: packed output (per-channel integer threshold on dot), binary conv only. */
export const FLAG_PACKED: i32 = 2;

@inline export function geti(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
