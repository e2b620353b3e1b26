// No bundler: the import map in index.html points 'xnor-web' at node_modules/xnor-web/dist.
// xnor.wasm is found next to dist/wasm/load.js by `new URL('./xnor.wasm', import.meta.url)`.
// (Main thread only: import maps do not reach module workers in every browser.)
import { getCapabilities, loadModel } from 'xnor-web';

const out = document.getElementById('result');

/** What a page has: the photo drawn on a canvas, as ImageData (any size: classify fits it). */
async function imageData(url) {
  const img = new Image();
  img.src = url;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

try {
  const progress = document.getElementById('progress');
  const model = await loadModel('cifar10-xnor.xnn', { onProgress: (p) => (progress.value = p.total ? p.loaded / p.total : 0) });
  const main = (await model.classify(await imageData('chelsea.png'), { top: 1 })).top[0];
  model.dispose();
  out.textContent = `main thread: ${main.label} (${(main.prob * 100).toFixed(1)}%)`;
  out.dataset.main = main.label;
  out.dataset.caps = JSON.stringify(getCapabilities());
  out.dataset.status = 'done';
} catch (e) {
  out.textContent = `${e.name}: ${e.message}`;
  out.dataset.status = 'error';
}
