// The ABI of xnor.wasm: every export, nothing else; the structs they read are in abi.ts.
// scripts/gen-abi.mjs turns both into src/wasm/abi.generated.ts (the TS types and writers).

/** First free byte of linear memory; JS bump-allocates above it (16-byte aligned). */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

export { setPopcountMode, getPopcountMode, xorPopcountSum } from './popcount';
export { pack, packThreshold, packAffine } from './pack';
export {
  bconvWeightsBytes, bconvPrepareWeights, bconvScratchBytes, bconvTileBytes, bconvCorrectionBytes, bconvPrepareCorrection,
} from './bconv/prepare';
export { bconv2d, bconvPad, bconv2dRange } from './bconv/kernel';
export { bdense } from './bdense';
export { bmaxpool } from './bpool';
export {
  fconvWeightsBytes, fconvScratchBytes, fconvPrepareWeights, bwnPrepareWeights, fconv2d, fconvPad, fconv2dRange,
} from './float/conv';
export { bwnWeightsBytes, bwnTableBytes, bwnScratchBytes, bwnPrepare, bwnconv2d, bwnconv2dRange } from './float/bwn';
export { istemWeightsBytes, istemScratchBytes, istemPrepareWeights, istemPad, istemRange, istem2d } from './float/istem';
export { fdense, fdenseRange, fdenseBlockedBytes, fdensePrepareBlocked, fdenseBlocked, fdenseBlockedRange } from './float/dense';
export { fma, relaxedSimd } from './float/madd';
export { fmaxpool, fmaxpoolRange, favgpool, fglobalAvgPool } from './float/pool';
export { scaleShift, frelu, ftanh, fadd, fsoftmax } from './float/eltwise';
export { kmap, kmapScratchBytes } from './float/kmap';
export { packRange, packAffineRange, scaleShiftRange, faddRange } from './ranges';
export { funary, farith, fpad, fconcat, fgconv2d } from './float/nd';
