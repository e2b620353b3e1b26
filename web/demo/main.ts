// The demo: pick a model, classify the webcam, an upload, a dropped file or a sample photo.
// Inference runs in Web Workers (loadModel with `workers`); this file is only UI.

import { type ClassifyResult, type Session, getCapabilities, loadModel } from '../../src/index.js';
import { cameraErrorMessage, listCameras, onEachFrame, openCamera, stopStream } from './camera.js';
import { type Explained, explainImageError, explainModelError } from './explain.js';

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
const modelErrorEl = $('model-error');
const accuracyEl = $('model-accuracy');
const classesEl = $<HTMLDetailsElement>('classes');
const classesList = $<HTMLOListElement>('classes-list');
const classesFilter = $<HTMLInputElement>('classes-filter');
const camStart = $<HTMLButtonElement>('camera-start');
const camStop = $<HTMLButtonElement>('camera-stop');
const camSelect = $<HTMLSelectElement>('camera-select');
const camMessage = $('camera-message');

const params = new URLSearchParams(location.search);
const WORKERS = Math.max(1, Math.min(8, Number(params.get('workers')) || 1));
// Kernel threads per worker (docs/THREADS.md); more than 1 needs cross-origin isolation.
const THREADS = Math.max(1, Math.min(8, Number(params.get('threads')) || 1));
const models = new Map<string, ModelEntry>();
let classifier: Session | null = null;
let classifierReady: Promise<Session | null> = Promise.resolve(null);
// The model `classifier` runs, and what the page said about it: a failed load goes back to it.
let current: { url: string; info: string } | null = null;
let loadToken = 0; // bumps on every model selection; a slower, older load is dropped
let generation = 0; // bumps on every model or input change; stale results are ignored
let lastImage: { blob: Blob; name: string } | null = null;
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

function showIn(el: HTMLElement, x: Explained) {
  el.querySelector('p')!.textContent = x.summary;
  el.querySelector('pre')!.textContent = x.detail;
  el.hidden = false;
}

/** An input (image, camera frame) failed: the error replaces the photo and the prediction. */
function showError(x: Explained) {
  clearPrediction();
  previewImg.hidden = true;
  showIn(errorEl, x);
  console.error(x.detail);
}

function clearPrediction() {
  top5.replaceChildren();
  latency.textContent = '–';
  preMs.textContent = '–';
}

// ---- results ----

function render(r: ClassifyResult) {
  errorEl.hidden = true;
  previewImg.hidden = !!stream;
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
  if (list.length === 0) modelInfo.textContent = 'No models found on the server: open or drop a .xnn file.';
}

function showModel(c: Session, m: ModelEntry, ms: number) {
  const [, h, w, ch] = c.loaded.inputShape;
  const labels = c.info.labels;
  const classes = labels.length || c.loaded.outputShape.at(-1) || 0;
  modelInfo.textContent =
    `${c.info.name}: ${mb(c.modelBytes)}, ${classes} classes, input ${w}×${h}×${ch}, ready in ${ms.toFixed(0)} ms`;
  modelInfo.dataset.bytes = String(c.modelBytes);
  const acc = c.info.accuracy[0];
  accuracyEl.hidden = !acc;
  if (acc)
    accuracyEl.textContent =
      `Measured accuracy: top-1 ${(acc.top1 * 100).toFixed(1)} %` +
      (acc.top5 != null ? `, top-5 ${(acc.top5 * 100).toFixed(1)} %` : '') +
      ` on ${acc.dataset} (${acc.n.toLocaleString('en')} images).`;
  classesEl.hidden = labels.length === 0;
  $('classes-summary').textContent = `What it recognises: ${labels.length} classes`;
  classesList.replaceChildren(...labels.map((l) => Object.assign(document.createElement('li'), { textContent: l })));
  classesFilter.value = '';
  current = { url: m.url, info: modelInfo.textContent };
}

function selectModel() {
  const m = models.get(modelSelect.value);
  if (!m) return;
  const token = ++loadToken;
  modelErrorEl.hidden = true;
  progress.hidden = false;
  progress.removeAttribute('value');
  document.body.dataset.model = 'loading';
  modelInfo.textContent = `loading ${m.name}…`;
  const t0 = performance.now();
  // The model in use stays in use until the new one has loaded: a file that fails to load
  // leaves the page as it was.
  classifierReady = loadModel(m.blob ?? m.url, {
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
      if (token !== loadToken) {
        c.dispose();
        return classifier;
      }
      const old = classifier;
      classifier = c;
      old?.dispose();
      generation++;
      progress.hidden = true;
      showModel(c, m, performance.now() - t0);
      document.body.dataset.model = 'ready';
      setBadge('badge-simd', `SIMD: ${c.loaded.simd ? 'on' : 'off'}`, c.loaded.simd);
      const t = c.loaded.threads;
      const why = crossOriginIsolated ? 'the kernel workers could not start' : 'not cross-origin isolated';
      // Red only for a real problem: threads asked for and not had.
      setBadge('badge-threads', `threads: ${t} per worker${THREADS > t ? ` (asked ${THREADS}: ${why})` : ''}`, THREADS > t ? false : t > 1 ? true : undefined);
      if (lastImage && !stream) void classifyBlob(lastImage.blob, lastImage.name);
      return c;
    },
    (e) => {
      if (token !== loadToken) return classifier;
      progress.hidden = true;
      showIn(modelErrorEl, explainModelError(e, m.kind === 'dropped' ? `${m.name}.xnn` : m.url.split('/').pop()!));
      console.error(e);
      if (m.kind === 'dropped') {
        models.delete(m.url);
        modelSelect.querySelector(`option[value="${CSS.escape(m.url)}"]`)?.remove();
      }
      if (current && classifier) {
        modelSelect.value = current.url;
        modelInfo.textContent = `${current.info} — kept: the other model did not load`;
        document.body.dataset.model = 'ready';
      } else {
        modelInfo.textContent = `no model loaded: pick another one, or open a .xnn file`;
        document.body.dataset.model = 'error';
      }
      return classifier;
    },
  );
}

function addDroppedModel(file: File) {
  const url = `dropped:${file.name}:${models.size}`;
  addModelOption({ url, name: file.name.replace(/\.xnn$/i, ''), bytes: file.size, kind: 'dropped', blob: file }, true);
  selectModel();
}

// ---- images ----

async function classifyBlob(blob: Blob, name: string) {
  stopCamera();
  const gen = ++generation;
  errorEl.hidden = true;
  video.hidden = true;
  // Drawn on a canvas, not <img src="blob:…">: a strict CSP (img-src 'self') blocks blob: images.
  let bm: ImageBitmap;
  try {
    bm = await createImageBitmap(blob);
  } catch (e) {
    // Not an image: nothing of the previous photo or its prediction stays on the page.
    if (gen === generation) {
      lastImage = null;
      showError(explainImageError(blob.size === 0 ? new Error('the file is empty (0 bytes)') : e, name));
    }
    return;
  }
  lastImage = { blob, name };
  if (gen !== generation) return bm.close();
  previewImg.width = bm.width;
  previewImg.height = bm.height;
  previewImg.getContext('2d')!.drawImage(bm, 0, 0);
  bm.close();
  previewImg.hidden = false;
  clearPrediction();
  const c = classifier ?? (await classifierReady);
  if (!c || gen !== generation) return;
  try {
    const r = await c.classify(blob);
    if (gen === generation) render(r);
  } catch (e) {
    if (gen === generation) showError(explainImageError(e, name));
  }
}

function handleFiles(files: FileList | null) {
  for (const f of Array.from(files ?? [])) {
    if (/\.xnn$/i.test(f.name)) addDroppedModel(f);
    else if (f.type.startsWith('image/') || /\.(png|jpe?g|gif|webp|bmp|avif)$/i.test(f.name)) void classifyBlob(f, f.name);
    else showError({ summary: `“${f.name}” is neither an image nor a .xnn model.`, detail: `type ${f.type || 'unknown'}, ${f.size} bytes` });
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
        if (gen === generation) showError(explainImageError(e, 'the camera frame'));
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
modelFile.addEventListener('change', () => {
  handleFiles(modelFile.files);
  modelFile.value = ''; // the picker shows the model in use, not the last file chosen
});
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
      if (!res.ok) throw new Error(`HTTP ${res.status} for ${b.dataset.src}`);
      void classifyBlob(await res.blob(), b.dataset.src!.split('/').pop()!);
    } catch (e) {
      showError(explainImageError(e, b.dataset.src!));
    }
  }),
);
camStart.addEventListener('click', () => void startCamera());
camStop.addEventListener('click', () => {
  generation++;
  stopCamera();
});
camSelect.addEventListener('change', () => void startCamera(camSelect.value));
classesFilter.addEventListener('input', () => {
  const q = classesFilter.value.trim().toLowerCase();
  for (const li of Array.from(classesList.children) as HTMLElement[]) li.hidden = q !== '' && !li.textContent!.toLowerCase().includes(q);
});

setBadge('badge-simd', `SIMD: ${getCapabilities().simd ? 'on' : 'off (unsupported browser)'}`, getCapabilities().simd);
// One thread is the default and no problem; red only where more were asked for and cannot run.
setBadge(
  'badge-threads',
  crossOriginIsolated ? `threads: available; ${THREADS} per worker` : `threads: 1 (page not cross-origin isolated)`,
  !crossOriginIsolated && THREADS > 1 ? false : undefined,
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
if (!getCapabilities().simd)
  showIn(modelErrorEl, explainModelError(Object.assign(new Error('this browser has no WebAssembly SIMD'), { name: 'SimdUnsupportedError' }), ''));
else if (modelSelect.value) selectModel();
