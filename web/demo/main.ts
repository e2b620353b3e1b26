// The demo: pick a model, classify the webcam, an upload, a dropped file or a sample photo.
// Inference runs in Web Workers (createClassifier); this file is only UI.

import {
  type Classifier,
  type ClassifyResult,
  createClassifier,
  simdSupported,
} from '../../src/index.js';
import { cameraErrorMessage, listCameras, onEachFrame, openCamera, stopStream } from './camera.js';

interface ModelEntry {
  url: string;
  name: string;
  bytes: number;
  kind: 'shipped' | 'built' | 'dropped';
  blob?: Blob;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const modelSelect = $<HTMLSelectElement>('model-select');
const modelFile = $<HTMLInputElement>('model-file');
const progress = $<HTMLProgressElement>('model-progress');
const modelInfo = $('model-info');
const fileInput = $<HTMLInputElement>('file-input');
const dropZone = $('drop-zone');
const video = $<HTMLVideoElement>('video');
const previewImg = $<HTMLCanvasElement>('preview-img');
const top5 = $<HTMLOListElement>('top5');
const latency = $('latency-ms');
const preMs = $('preprocess-ms');
const fpsEl = $('fps');
const droppedEl = $('dropped');
const errorEl = $('error');
const camStart = $<HTMLButtonElement>('camera-start');
const camStop = $<HTMLButtonElement>('camera-stop');
const camSelect = $<HTMLSelectElement>('camera-select');
const camMessage = $('camera-message');

const params = new URLSearchParams(location.search);
const WORKERS = Math.max(1, Math.min(8, Number(params.get('workers')) || 1));
// Kernel threads per worker (docs/THREADS.md); more than 1 needs cross-origin isolation.
const THREADS = Math.max(1, Math.min(8, Number(params.get('threads')) || 1));
const models = new Map<string, ModelEntry>();
let classifier: Classifier | null = null;
let classifierReady: Promise<Classifier | null> = Promise.resolve(null);
let generation = 0; // bumps on every model or input change; stale results are ignored
let lastImage: Blob | null = null;
let stream: MediaStream | null = null;
let stopFrames: (() => void) | null = null;
let resultTimes: number[] = [];
// Webcam-loop counters for tests (window.__xnorStats): frames handed to classifyFrame, and how
// each settled (answered, or dropped for a newer frame); in flight = submitted − settled.
const loop = { submitted: 0, answered: 0, dropped: 0, failed: 0, maxInFlight: 0 };
(window as unknown as { __xnorStats: () => unknown }).__xnorStats = () => ({
  ...loop,
  inFlight: loop.submitted - loop.answered - loop.dropped - loop.failed,
  classifier: classifier?.stats() ?? null,
});

const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e6 ? 2 : 1)} MB`;

function setBadge(id: string, text: string, on?: boolean) {
  const el = $(id);
  el.textContent = text;
  el.classList.toggle('on', on === true);
  el.classList.toggle('off', on === false);
}

function showError(e: unknown) {
  const err = e as Error;
  errorEl.textContent = `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
  errorEl.hidden = false;
  console.error(e);
}

// ---- results ----

function render(r: ClassifyResult) {
  errorEl.hidden = true;
  top5.replaceChildren(
    ...r.top.map((p, i) => {
      const li = document.createElement('li');
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${(p.prob * 100).toFixed(1)}%`;
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = p.label;
      if (i === 0) label.dataset.testid = 'top1-label';
      const prob = document.createElement('span');
      prob.className = 'prob';
      prob.textContent = `${(p.prob * 100).toFixed(1)}%`;
      li.append(bar, label, prob);
      li.dataset.index = String(p.index);
      return li;
    }),
  );
  latency.textContent = r.inferMs.toFixed(1);
  preMs.textContent = r.preprocessMs.toFixed(1);
  if (classifier) droppedEl.textContent = String(classifier.stats().dropped);
}

function tickFps() {
  const now = performance.now();
  resultTimes.push(now);
  resultTimes = resultTimes.filter((t) => now - t < 2000);
  if (resultTimes.length >= 2) {
    const span = (resultTimes[resultTimes.length - 1] - resultTimes[0]) / 1000;
    fpsEl.textContent = span > 0 ? ((resultTimes.length - 1) / span).toFixed(1) : '–';
  }
}

// ---- models ----

function addModelOption(m: ModelEntry, select = false) {
  models.set(m.url, m);
  const o = document.createElement('option');
  o.value = m.url;
  o.textContent = `${m.name} (${m.kind}, ${mb(m.bytes)})`;
  modelSelect.append(o);
  if (select) modelSelect.value = m.url;
}

async function listModels() {
  let list: ModelEntry[] = [];
  try {
    const res = await fetch('models/index.json');
    if (res.ok) list = await res.json();
  } catch {
    /* offline with no cache: only dropped models */
  }
  for (const m of list) addModelOption(m);
  const wanted = params.get('model');
  if (wanted && models.has(wanted)) modelSelect.value = wanted;
  if (list.length === 0) modelInfo.textContent = 'No models found: run `npm run models`, or open/drop a .xnn file.';
}

function selectModel() {
  const m = models.get(modelSelect.value);
  if (!m) return;
  generation++;
  const old = classifier;
  classifier = null;
  old?.dispose();
  progress.hidden = false;
  progress.removeAttribute('value');
  document.body.dataset.model = 'loading';
  modelInfo.textContent = `loading ${m.name}…`;
  const t0 = performance.now();
  classifierReady = createClassifier({
    model: m.blob ?? m.url,
    workers: WORKERS,
    threads: THREADS,
    onProgress: ({ loaded, total }) => {
      if (total) {
        progress.max = total;
        progress.value = loaded;
      }
    },
  }).then(
    (c) => {
      if (models.get(modelSelect.value) !== m) {
        c.dispose();
        return null;
      }
      classifier = c;
      progress.hidden = true;
      const [, h, w, ch] = c.loaded.inputShape;
      modelInfo.textContent =
        `${c.info.name}: ${mb(c.modelBytes)}, ${c.info.labels.length || c.loaded.outputShape.at(-1)} classes, input ${w}×${h}×${ch}, ` +
        `ready in ${(performance.now() - t0).toFixed(0)} ms`;
      modelInfo.dataset.bytes = String(c.modelBytes);
      document.body.dataset.model = 'ready';
      setBadge('badge-simd', `SIMD: ${c.loaded.simd ? 'on' : 'off'}`, c.loaded.simd);
      const t = c.loaded.threads;
      const why = crossOriginIsolated ? 'the kernel workers could not start' : 'not cross-origin isolated';
      setBadge('badge-threads', `threads: ${t} per worker${THREADS > t ? ` (asked ${THREADS}: ${why})` : ''}`, t > 1);
      if (lastImage && !stream) void classifyBlob(lastImage);
      return c;
    },
    (e) => {
      progress.hidden = true;
      document.body.dataset.model = 'error';
      modelInfo.textContent = `could not load ${m.name}`;
      showError(e);
      return null;
    },
  );
}

function addDroppedModel(file: File) {
  const url = `dropped:${file.name}:${models.size}`;
  addModelOption({ url, name: file.name.replace(/\.xnn$/i, ''), bytes: file.size, kind: 'dropped', blob: file }, true);
  selectModel();
}

// ---- images ----

async function classifyBlob(blob: Blob) {
  stopCamera();
  lastImage = blob;
  const gen = ++generation;
  // Drawn on a canvas, not <img src="blob:…">: a strict CSP (img-src 'self') blocks blob: images.
  createImageBitmap(blob)
    .then((bm) => {
      if (gen === generation) {
        previewImg.width = bm.width;
        previewImg.height = bm.height;
        previewImg.getContext('2d')!.drawImage(bm, 0, 0);
      }
      bm.close();
    })
    .catch(() => {}); // undecodable: the classifier reports the error
  previewImg.hidden = false;
  video.hidden = true;
  const c = classifier ?? (await classifierReady);
  if (!c || gen !== generation) return;
  try {
    const r = await c.classify(blob);
    if (gen === generation) render(r);
  } catch (e) {
    if (gen === generation) showError(e);
  }
}

function handleFiles(files: FileList | null) {
  for (const f of Array.from(files ?? [])) {
    if (/\.xnn$/i.test(f.name)) addDroppedModel(f);
    else if (f.type.startsWith('image/') || /\.(png|jpe?g|gif|webp|bmp|avif)$/i.test(f.name)) void classifyBlob(f);
    else showError(new Error(`${f.name}: not an image or a .xnn model`));
  }
}

// ---- camera ----

async function startCamera(deviceId?: string) {
  camMessage.hidden = true;
  stopCamera();
  try {
    stream = await openCamera(deviceId);
  } catch (e) {
    camMessage.textContent = cameraErrorMessage(e);
    camMessage.hidden = false;
    fileInput.focus();
    return;
  }
  const gen = ++generation;
  video.srcObject = stream;
  video.hidden = false;
  previewImg.hidden = true;
  camStart.hidden = true;
  camStop.hidden = false;
  await video.play().catch(() => undefined);
  const cams = await listCameras().catch(() => []);
  const current = stream.getVideoTracks()[0]?.getSettings().deviceId;
  camSelect.replaceChildren(
    ...cams.map((d) => Object.assign(document.createElement('option'), { value: d.deviceId, textContent: d.label })),
  );
  if (current) camSelect.value = current;
  camSelect.hidden = cams.length < 2;
  resultTimes = [];
  stopFrames = onEachFrame(video, () => {
    const c = classifier;
    if (!c || gen !== generation || video.readyState < 2) return;
    loop.submitted++;
    loop.maxInFlight = Math.max(loop.maxInFlight, loop.submitted - loop.answered - loop.dropped - loop.failed);
    c.classifyFrame(video).then(
      (r) => {
        if (r) loop.answered++;
        else loop.dropped++;
        if (!r || gen !== generation) return;
        render(r);
        tickFps();
      },
      (e) => {
        loop.failed++;
        if (gen === generation) showError(e);
      },
    );
  });
}

function stopCamera() {
  stopFrames?.();
  stopFrames = null;
  if (!stream) return;
  stopStream(stream);
  stream = null;
  video.srcObject = null;
  video.hidden = true;
  camStart.hidden = false;
  camStop.hidden = true;
  fpsEl.textContent = '–';
}

// ---- wiring ----

modelSelect.addEventListener('change', selectModel);
modelFile.addEventListener('change', () => handleFiles(modelFile.files));
fileInput.addEventListener('change', () => {
  handleFiles(fileInput.files);
  fileInput.value = '';
});
for (const el of [dropZone, document.body]) {
  el.addEventListener('dragover', (e) => {
    e.preventDefault();
    dropZone.classList.add('over');
  });
  el.addEventListener('dragleave', () => dropZone.classList.remove('over'));
  el.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    dropZone.classList.remove('over');
    handleFiles(e.dataTransfer?.files ?? null);
  });
}
document.querySelectorAll<HTMLButtonElement>('.sample').forEach((b) =>
  b.addEventListener('click', async () => {
    try {
      const res = await fetch(b.dataset.src!);
      void classifyBlob(await res.blob());
    } catch (e) {
      showError(e);
    }
  }),
);
camStart.addEventListener('click', () => void startCamera());
camStop.addEventListener('click', () => {
  generation++;
  stopCamera();
});
camSelect.addEventListener('change', () => void startCamera(camSelect.value));

setBadge('badge-simd', `SIMD: ${simdSupported() ? 'on' : 'off (unsupported browser)'}`, simdSupported());
setBadge(
  'badge-threads',
  crossOriginIsolated ? `threads: available (cross-origin isolated); ${THREADS} per worker` : 'threads: off (not cross-origin isolated)',
  crossOriginIsolated,
);
setBadge('badge-workers', `workers: ${WORKERS}`);

async function registerOffline() {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) {
    setBadge('badge-offline', 'offline: off (dev server)');
    return;
  }
  try {
    await navigator.serviceWorker.register('./sw.js');
    await navigator.serviceWorker.ready;
    setBadge('badge-offline', 'offline: ready (cached after first use)', true);
  } catch (e) {
    setBadge('badge-offline', `offline: unavailable (${(e as Error).message})`, false);
  }
}

void registerOffline();
await listModels();
if (!simdSupported()) showError(Object.assign(new Error('this browser has no WebAssembly SIMD, which xnor-web needs'), { name: 'SimdUnsupportedError' }));
else if (modelSelect.value) selectModel();
