// torchvision's resnet18 and alexnet (the layers of bench/models.py) written with TF.js ops,
// NHWC, random He-scaled weights, BatchNorm already folded into conv bias (as a converted
// graph would have it): conv+bias+ReLU is one fused op, as in onnxruntime's optimised graph.
import * as tf from '@tensorflow/tfjs';
import { randomInput } from '../timing.js';

type Net = (x: tf.Tensor4D) => tf.Tensor2D;

let seed = 1;
/** Uniform values with the given standard deviation (an LCG: tf.randomNormal is slow for AlexNet's 58 M weights). */
function weights(shape: number[], std: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = randomInput(n, seed++);
  const k = std * Math.sqrt(12);
  for (let i = 0; i < n; i++) v[i] = (v[i] - 0.5) * k;
  return tf.tensor(v, shape);
}

interface Conv {
  w: tf.Tensor4D;
  b: tf.Tensor1D;
  stride: number;
  pad: number;
}

function conv(cin: number, cout: number, k: number, stride = 1, pad = 0): Conv {
  return {
    w: weights([k, k, cin, cout], Math.sqrt(2 / (k * k * cin))) as tf.Tensor4D,
    b: weights([cout], 0.01) as tf.Tensor1D,
    stride,
    pad,
  };
}

const apply = (c: Conv, x: tf.Tensor4D, relu: boolean): tf.Tensor4D =>
  tf.fused.conv2d({ x, filter: c.w, strides: c.stride, pad: c.pad, bias: c.b, activation: relu ? 'relu' : 'linear' });

function dense(fin: number, fout: number) {
  return { w: weights([fin, fout], Math.sqrt(2 / fin)) as tf.Tensor2D, b: weights([fout], 0.01) as tf.Tensor1D };
}

const applyDense = (d: ReturnType<typeof dense>, x: tf.Tensor2D, relu: boolean): tf.Tensor2D =>
  tf.fused.matMul({ a: x, b: d.w, bias: d.b, activation: relu ? 'relu' : 'linear' }) as tf.Tensor2D;

export function resnet18(): Net {
  const stem = conv(3, 64, 7, 2, 3);
  const blocks: { c1: Conv; c2: Conv; down?: Conv }[] = [];
  let cin = 64;
  [64, 128, 256, 512].forEach((w, i) => {
    for (let j = 0; j < 2; j++) {
      const stride = i > 0 && j === 0 ? 2 : 1;
      blocks.push({ c1: conv(cin, w, 3, stride, 1), c2: conv(w, w, 3, 1, 1), down: stride !== 1 || cin !== w ? conv(cin, w, 1, stride, 0) : undefined });
      cin = w;
    }
  });
  const fc = dense(512, 1000);
  return (x) =>
    tf.tidy(() => {
      let h = tf.maxPool(apply(stem, x, true), 3, 2, 1);
      for (const b of blocks) {
        const s = b.down ? apply(b.down, h, false) : h;
        h = tf.relu(tf.add(apply(b.c2, apply(b.c1, h, true), false), s)) as tf.Tensor4D;
      }
      return applyDense(fc, tf.mean(h, [1, 2]) as tf.Tensor2D, false);
    });
}

export function alexnet(): Net {
  const c = [conv(3, 64, 11, 4, 2), conv(64, 192, 5, 1, 2), conv(192, 384, 3, 1, 1), conv(384, 256, 3, 1, 1), conv(256, 256, 3, 1, 1)];
  const fc = [dense(256 * 36, 4096), dense(4096, 4096), dense(4096, 1000)];
  return (x) =>
    tf.tidy(() => {
      let h = tf.maxPool(apply(c[0], x, true), 3, 2, 'valid');
      h = tf.maxPool(apply(c[1], h, true), 3, 2, 'valid');
      h = apply(c[4], apply(c[3], apply(c[2], h, true), true), true);
      h = tf.maxPool(h, 3, 2, 'valid');
      let f = tf.reshape(h, [1, 256 * 36]) as tf.Tensor2D;
      f = applyDense(fc[1], applyDense(fc[0], f, true), true);
      return applyDense(fc[2], f, false);
    });
}
