// No bundler: the import map in index.html points 'xnor-web' at node_modules/xnor-web/dist.
// xnor.wasm is found next to dist/wasm/load.js by `new URL('./xnor.wasm', import.meta.url)`.
// (Main thread only: import maps do not reach module workers in every browser.)
import { getCapabilities, loadModel } from 'xnor-web';

const out = document.getElementById('result');

/** The photo, centre-cropped and scaled to the model's input on a canvas. */
async function pixels(url, size) {
  const img = new Image();
  img.src = url;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const s = Math.min(img.naturalWidth, img.naturalHeight);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, (img.naturalWidth - s) / 2, (img.naturalHeight - s) / 2, s, s, 0, 0, size, size);
  const { data } = ctx.getImageData(0, 0, size, size);
  return { width: size, height: size, channels: 4, data: new Uint8Array(data.buffer) };
}

try {
  const progress = document.getElementById('progress');
  const model = await loadModel('cifar10-xnor.xnn', { onProgress: (p) => (progress.value = p.total ? p.loaded / p.total : 0) });
  const main = model.classify(await pixels('chelsea.png', model.inputShape[1]), { top: 1 })[0];
  model.dispose();
  out.textContent = `main thread: ${main.label} (${(main.prob * 100).toFixed(1)}%)`;
  out.dataset.main = main.label;
  out.dataset.caps = JSON.stringify(getCapabilities());
  out.dataset.status = 'done';
} catch (e) {
  out.textContent = `${e.name}: ${e.message}`;
  out.dataset.status = 'error';
}
