// TF.js with the WASM backend (XNNPACK; SIMD, and threads when the page is cross-origin
// isolated), its .wasm files served from node_modules/@tensorflow/tfjs-backend-wasm/dist at /tfjs/.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { Load } from './engine.js';
import { randomInput } from '../timing.js';
import { alexnet, resnet18 } from './tf-nets.js';

type WasmModule = { PThread?: { runningWorkers?: unknown[] } };

export const load: Load = async (config) => {
  // The backend caps its thread pool at navigator.hardwareConcurrency / 2 whatever
  // setThreadsCount asks (1 on a 2-core machine): report enough cores for the count asked,
  // so a 2-thread row really runs 2 threads (getThreadsCount and the pthread count say so).
  const cores = navigator.hardwareConcurrency;
  const override = config.threads > 1 && cores < 2 * config.threads;
  if (override) Object.defineProperty(Object.getPrototypeOf(navigator), 'hardwareConcurrency', { get: () => 2 * config.threads, configurable: true });
  setWasmPaths(new URL('/tfjs/', self.location.href).href);
  setThreadsCount(config.threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  const net = config.model === 'resnet18' ? resnet18() : alexnet();
  const x = tf.tensor4d(randomInput(224 * 224 * 3), [1, 224, 224, 3]);
  const flags = tf.env();
  const wasm = (tf.backend() as unknown as { wasm?: WasmModule }).wasm;
  return {
    run: () => {
      const y = net(x);
      y.dataSync();
      y.dispose();
    },
    threadsUsed: getThreadsCount(),
    threadsSource: 'getThreadsCount() of @tensorflow/tfjs-backend-wasm',
    detail: {
      version: tf.version.tfjs,
      simd: !!(await flags.getAsync('WASM_HAS_SIMD_SUPPORT')),
      threaded_build: !!(await flags.getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      pthread_workers: wasm?.PThread?.runningWorkers?.length ?? -1,
      ...(override ? { hardware_concurrency_reported: 2 * config.threads } : {}),
      layout: 'NHWC',
    },
    dispose: () => tf.disposeVariables(),
  };
};
