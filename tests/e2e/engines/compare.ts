// The harness's comparison: a browser's probabilities against Node's, bit for bit (the Float32
// bytes), image by image. report.engine.ts shows that one flipped bit is caught.
import type { Reference } from './reference.js';

export interface Comparison {
  images: number;
  /** Images whose probabilities are bit-identical to Node's. */
  identical: number;
  /** Images whose top-1 equals Node's. */
  sameTop1: number;
  maxAbsDiff: number;
  /** The first few differing images: name, index of the first differing class, both values (hex). */
  mismatches: string[];
  /** ImageNet: images whose decoded pixels equal Pillow's (SHA-256), and the first few that don't. */
  samePixels?: number;
  pixelMismatches?: string[];
}

const hex = (f: number) => {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, f);
  return `0x${b.getUint32(0).toString(16).padStart(8, '0')}`;
};

/** Float32 bytes from the page's base64. */
export function decodeProbs(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function compareToReference(probs: Float32Array, ref: Reference, pixelSha256?: string[]): Comparison {
  const { classes } = ref;
  const n = Math.min(probs.length / classes, ref.n);
  const a = new Uint32Array(probs.buffer, probs.byteOffset, n * classes);
  const b = new Uint32Array(ref.probs.buffer, ref.probs.byteOffset, n * classes);
  let identical = 0;
  let sameTop1 = 0;
  let maxAbsDiff = 0;
  const mismatches: string[] = [];
  for (let i = 0; i < n; i++) {
    let first = -1;
    let ta = 0;
    let tb = 0;
    for (let k = 0; k < classes; k++) {
      const j = i * classes + k;
      if (a[j] !== b[j] && first < 0) first = k;
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(probs[j] - ref.probs[j]) || (a[j] !== b[j] ? Infinity : 0));
      if (probs[j] > probs[i * classes + ta]) ta = k;
      if (ref.probs[j] > ref.probs[i * classes + tb]) tb = k;
    }
    if (ta === tb) sameTop1++;
    if (first < 0) identical++;
    else if (mismatches.length < 5) {
      const j = i * classes + first;
      mismatches.push(`${ref.names[i]}: class ${first} browser ${hex(probs[j])} (${probs[j]}), Node ${hex(ref.probs[j])} (${ref.probs[j]})`);
    }
  }
  const out: Comparison = { images: n, identical, sameTop1, maxAbsDiff, mismatches };
  if (pixelSha256) {
    out.samePixels = pixelSha256.filter((h, i) => h === ref.pixelSha256[i]).length;
    out.pixelMismatches = pixelSha256.flatMap((h, i) => (h === ref.pixelSha256[i] ? [] : [ref.names[i]])).slice(0, 5);
  }
  return out;
}

/** How many images the two builds' references tell apart (so a bit-exact match names the build). */
export function distinguishing(plain: Reference, relaxed: Reference): number {
  const a = new Uint32Array(plain.probs.buffer, plain.probs.byteOffset, plain.probs.length);
  const b = new Uint32Array(relaxed.probs.buffer, relaxed.probs.byteOffset, relaxed.probs.length);
  let n = 0;
  for (let i = 0; i < plain.n; i++) {
    for (let k = 0; k < plain.classes; k++) {
      if (a[i * plain.classes + k] !== b[i * plain.classes + k]) {
        n++;
        break;
      }
    }
  }
  return n;
}
