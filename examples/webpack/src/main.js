// Classify a photo with the CIFAR-10 XNOR-Net, on the main thread and in a worker.
// Files served next to the page: cifar10-xnor.xnn and chelsea.png (next to index.html).
import { createClassifier, getCapabilities, loadModel } from 'xnor-web';

const out = document.getElementById('result');
const MODEL = 'cifar10-xnor.xnn';
const PHOTO = 'chelsea.png';

/** The photo, centre-cropped and scaled to the model's 32×32 input on a canvas. */
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
  const model = await loadModel(MODEL, { onProgress: (p) => (progress.value = p.total ? p.loaded / p.total : 0) });
  const main = model.classify(await pixels(PHOTO, model.inputShape[1]), { top: 1 })[0];
  model.dispose();

  // The worker API fetches the model itself and fits any image size to the input.
  const classifier = await createClassifier({ model: MODEL });
  const worker = (await classifier.classify(await (await fetch(PHOTO)).blob(), { top: 1 })).top[0];
  classifier.dispose();

  out.textContent = `main thread: ${main.label} (${(main.prob * 100).toFixed(1)}%); worker: ${worker.label}`;
  out.dataset.main = main.label;
  out.dataset.worker = worker.label;
  out.dataset.caps = JSON.stringify(getCapabilities());
  out.dataset.status = 'done';
} catch (e) {
  out.textContent = `${e.name}: ${e.message}`;
  out.dataset.status = 'error';
}
