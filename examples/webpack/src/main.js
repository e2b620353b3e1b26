// Classify a photo with the CIFAR-10 XNOR-Net, on the main thread and in a worker: one call,
// loadModel, with `workers` choosing where it runs.
// Files served next to the page: cifar10-xnor.xnn and chelsea.png (next to index.html).
import { getCapabilities, loadModel } from 'xnor-web';

const out = document.getElementById('result');
const MODEL = 'cifar10-xnor.xnn';
const PHOTO = 'chelsea.png';

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
  const model = await loadModel(MODEL, { onProgress: (p) => (progress.value = p.total ? p.loaded / p.total : 0) });
  const main = (await model.classify(await imageData(PHOTO), { top: 1 })).top[0];
  model.dispose();

  // The same call with workers: 1 runs it in a Web Worker; classify takes a Blob as well.
  const inWorker = await loadModel(MODEL, { workers: 1 });
  const worker = (await inWorker.classify(await (await fetch(PHOTO)).blob(), { top: 1 })).top[0];
  inWorker.dispose();

  out.textContent = `main thread: ${main.label} (${(main.prob * 100).toFixed(1)}%); worker: ${worker.label}`;
  out.dataset.main = main.label;
  out.dataset.worker = worker.label;
  out.dataset.caps = JSON.stringify(getCapabilities());
  out.dataset.status = 'done';
} catch (e) {
  out.textContent = `${e.name}: ${e.message}`;
  out.dataset.status = 'error';
}
