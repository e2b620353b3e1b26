// Binary dense on packed vectors (docs/KERNELS.md "Bit convention"): x [N][KW], w [O][KW]
// words, KW = ceil(K/64); K (the real length) is explicit: padding bits are 0 in both operands.
import { wordsFor } from './bits';
import { POPCOUNT_SIMD } from './abi';
import { getPopcountMode, widenU8 } from './popcount';

@inline function pcScalar(a: usize, b: usize, KW: i32): i32 {
  let s0: u64 = 0, s1: u64 = 0;
  let j = 0;
  for (; j + 2 <= KW; j += 2) {
    const o = <usize>j << 3;
    s0 += popcnt<u64>(load<u64>(a + o) ^ load<u64>(b + o));
    s1 += popcnt<u64>(load<u64>(a + o, 8) ^ load<u64>(b + o, 8));
  }
  if (j < KW) s0 += popcnt<u64>(load<u64>(a + (<usize>j << 3)) ^ load<u64>(b + (<usize>j << 3)));
  return <i32>(s0 + s1);
}

@inline function pcSimd(a: usize, b: usize, KW: i32): i32 {
  let wide = i32x4.splat(0);
  let j = 0;
  while (j + 2 <= KW) {
    let acc = i32x4.splat(0);
    for (let t = 0; t < 31 && j + 2 <= KW; t++, j += 2) {
      const o = <usize>j << 3;
      acc = i8x16.add(acc, i8x16.popcnt(v128.xor(v128.load(a + o), v128.load(b + o))));
    }
    wide = widenU8(wide, acc);
  }
  let s = i32x4.extract_lane(wide, 0) + i32x4.extract_lane(wide, 1) +
    i32x4.extract_lane(wide, 2) + i32x4.extract_lane(wide, 3);
  if (j < KW) s += <i32>popcnt<u64>(load<u64>(a + (<usize>j << 3)) ^ load<u64>(b + (<usize>j << 3)));
  return s;
}

@inline function emit(y: usize, n: i32, o: i32, O: i32, K: i32, pc: i32, mul: usize, bias: usize, kmap: usize, relu: i32): void {
  const d = K - 2 * pc;
  let v: f32 = mul == 0 ? <f32>d : load<f32>(mul + (<usize>o << 2)) * <f32>d;
  if (kmap != 0) v = v * load<f32>(kmap + (<usize>n << 2));
  if (bias != 0) v = v + load<f32>(bias + (<usize>o << 2));
  if (relu) v = max<f32>(v, 0);
  store<f32>(y + (<usize>(n * O + o) << 2), v);
}

/**
 * y[n][o] = (mul[o] * (K - 2*popcount(x_n XOR w_o))) * kmap[n] + bias[o] (mul/bias/kmap ptr
 * 0 -> 1/0/none), optional ReLU; f32, left to right as src/ops/spec.ts says.
 */
export function bdense(x: usize, w: usize, y: usize, N: i32, O: i32, K: i32, mul: usize, bias: usize, kmap: usize, relu: i32): void {
  const KW = wordsFor(K);
  const rowB = <usize>KW << 3;
  // the hybrid mode runs scalar rows: two rows per pass (scalar + SIMD) measured up to 3.7x
  // slower than scalar inside AlexNet (bench/results/code-notes.md "AlexNet fast paths")
  const simd = getPopcountMode() == POPCOUNT_SIMD;
  for (let n = 0; n < N; n++) {
    const xn = x + <usize>n * rowB;
    for (let o = 0; o < O; o++) {
      const wo = w + <usize>o * rowB;
      const pc = simd ? pcSimd(xn, wo, KW) : pcScalar(xn, wo, KW);
      emit(y, n, o, O, K, pc, mul, bias, kmap, relu);
    }
  }
}
