/// <reference types="vite/client" />
// <xnor-classifier>: an embeddable image classifier. One ES module (dist/widget/
// xnor-classifier.js) with its worker and xnor.wasm inlined.
//
//   <script type="module" src="xnor-classifier.js"></script>
//   <xnor-classifier model="cifar10-xnor.xnn" src="cat.png" top="3"></xnor-classifier>
//
// Attributes: model (URL of a .xnn), src (image URL) or camera (live webcam), top (default 5),
// integrity (optional digest of the model file, `sha256-<base64>` as in SRI or 64 hex digits:
// a model whose bytes differ is refused with an `error` event named IntegrityError).
// Events: `prediction` {top: [{index, label, prob}], ms} after each result; `error`
// {name, message}. Styling: ::part(base|media|results|item|bar|label|prob|status) and the
// custom properties --xnor-accent, --xnor-bar, --xnor-bg, --xnor-fg, --xnor-radius,
// --xnor-font, --xnor-media-height. Once the model is loaded the element carries data-threads,
// the kernel threads it runs on: 1 (its worker is inlined, and kernel threads need a worker
// script of their own; pages that want them use loadModel(url, { workers: 1, threads }), docs/THREADS.md).

// session.js, not the index: the index brings the default (file) worker; this one is inlined.
import { type Session, loadModel } from '../../src/session.js';
import type { ClassifyResult } from '../../src/worker/protocol.js';
import ModelWorker from '../../src/worker/worker.ts?worker&inline';

const STYLE = `
:host { display: inline-block; font: var(--xnor-font, 14px/1.4 system-ui, sans-serif); color: var(--xnor-fg, inherit);
  background: var(--xnor-bg, transparent); border-radius: var(--xnor-radius, 8px); min-width: 240px; }
:host([hidden]) { display: none; }
[part=base] { display: flex; flex-direction: column; gap: 8px; padding: 8px; }
[part=media] { max-width: 100%; max-height: var(--xnor-media-height, 240px); border-radius: var(--xnor-radius, 8px); object-fit: contain; }
[part=media][hidden] { display: none; }
ol { list-style: none; margin: 0; padding: 0; }
[part=item] { position: relative; display: flex; justify-content: space-between; gap: 8px; padding: 2px 6px; margin: 2px 0;
  border-radius: 4px; overflow: hidden; isolation: isolate; }
[part=bar] { position: absolute; inset: 0 auto 0 0; background: var(--xnor-bar, color-mix(in srgb, var(--xnor-accent, #3b7ddd) 25%, transparent)); z-index: -1; }
[part=prob] { font-variant-numeric: tabular-nums; opacity: .8; }
[part=status] { font-size: .85em; opacity: .7; min-height: 1.2em; }
[part=status].error { color: #c33; opacity: 1; }
`;

type Mode = { kind: 'none' } | { kind: 'src'; url: string } | { kind: 'camera' };

export class XnorClassifierElement extends HTMLElement {
  static observedAttributes = ['model', 'src', 'camera', 'top', 'integrity'];

  #root: ShadowRoot;
  #img: HTMLImageElement;
  #video: HTMLVideoElement;
  #list: HTMLOListElement;
  #status: HTMLElement;
  #classifier: Session | null = null;
  #loading: Promise<Session | null> | null = null;
  /** URL and integrity of the model loaded or loading (a change of either reloads it). */
  #modelKey = '';
  #stream: MediaStream | null = null;
  #gen = 0;
  #queued = false;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    // A constructed stylesheet, not an inline <style>: strict CSPs (no style-src
    // 'unsafe-inline') block the latter.
    const sheet = typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype ? new CSSStyleSheet() : null;
    sheet?.replaceSync(STYLE);
    if (sheet) this.#root.adoptedStyleSheets = [sheet];
    this.#root.innerHTML = `${sheet ? '' : `<style>${STYLE}</style>`}
      <div part="base">
        <img part="media" alt="" hidden />
        <video part="media" muted playsinline hidden></video>
        <ol part="results" aria-live="polite"></ol>
        <div part="status"></div>
      </div>`;
    this.#img = this.#root.querySelector('img')!;
    this.#video = this.#root.querySelector('video')!;
    this.#list = this.#root.querySelector('ol')!;
    this.#status = this.#root.querySelector('[part=status]')!;
  }

  /** Number of classes shown and reported (attribute `top`, default 5). */
  get top(): number {
    const n = Number(this.getAttribute('top'));
    return Number.isInteger(n) && n > 0 ? n : 5;
  }

  /** The underlying classifier once the model is loaded (for advanced use). */
  get classifier(): Session | null {
    return this.#classifier;
  }

  connectedCallback() {
    this.#schedule();
  }

  disconnectedCallback() {
    // Moved within the document: connectedCallback runs again right after; keep the model.
    queueMicrotask(() => {
      if (this.isConnected) return;
      this.#stopCamera();
      this.#classifier?.dispose();
      this.#classifier = null;
      this.#loading = null;
      this.#modelKey = '';
    });
  }

  attributeChangedCallback() {
    this.#schedule();
  }

  /** Classifies any image now (ImageBitmap, ImageData, img/canvas/video element, Blob). */
  async classify(input: Parameters<Session['classify']>[0]): Promise<ClassifyResult> {
    const c = await this.#model();
    if (!c) throw new Error('no model attribute');
    const r = await c.classify(input, { top: this.top });
    this.#show(r);
    return r;
  }

  // Attribute changes arrive one by one; act once after the current task.
  #schedule() {
    if (this.#queued || !this.isConnected) return;
    this.#queued = true;
    queueMicrotask(() => {
      this.#queued = false;
      void this.#update();
    });
  }

  #mode(): Mode {
    if (this.hasAttribute('camera')) return { kind: 'camera' };
    const src = this.getAttribute('src');
    return src ? { kind: 'src', url: new URL(src, document.baseURI).href } : { kind: 'none' };
  }

  async #model(): Promise<Session | null> {
    const attr = this.getAttribute('model');
    if (!attr) return null;
    const url = new URL(attr, document.baseURI).href;
    const integrity = this.getAttribute('integrity') ?? undefined;
    const key = `${url} ${integrity ?? ''}`;
    if (key !== this.#modelKey || !this.#loading) {
      this.#modelKey = key;
      const old = this.#classifier;
      this.#classifier = null;
      old?.dispose();
      this.#setStatus('loading model…');
      const loading = loadModel(url, {
        integrity,
        workers: 1,
        // the one build inlined (web/widget/vite.config.ts); the relaxed one gives the same bits
        wasm: { relaxedSimd: false },
        createWorker: (i) => new ModelWorker({ name: `xnor-classifier-${i}` }),
      });
      this.#loading = loading.then(
        (c) => {
          if (this.#loading !== guarded || !this.isConnected) {
            c.dispose();
            return null;
          }
          this.#classifier = c;
          this.dataset.threads = String(c.loaded.threads);
          this.#setStatus('');
          return c;
        },
        (e) => {
          if (this.#loading === guarded) this.#loading = null;
          throw e;
        },
      );
      const guarded = this.#loading;
    }
    return this.#loading;
  }

  async #update() {
    const gen = ++this.#gen;
    const mode = this.#mode();
    if (mode.kind !== 'camera') this.#stopCamera();
    try {
      const c = await this.#model();
      if (gen !== this.#gen) return;
      if (!c) {
        this.#setStatus('set the model attribute to a .xnn URL');
        return;
      }
      if (mode.kind === 'src') {
        this.#video.hidden = true;
        this.#img.hidden = false;
        this.#img.src = mode.url;
        const res = await fetch(mode.url);
        if (!res.ok) throw Object.assign(new Error(`cannot fetch image ${mode.url}: HTTP ${res.status}`), { name: 'ImageDecodeError' });
        const r = await c.classify(await res.blob(), { top: this.top });
        if (gen === this.#gen) this.#show(r);
      } else if (mode.kind === 'camera') {
        await this.#startCamera(c, gen);
      }
    } catch (e) {
      if (gen === this.#gen) this.#fail(e);
    }
  }

  async #startCamera(c: Session, gen: number) {
    if (!this.#stream) {
      if (!navigator.mediaDevices?.getUserMedia)
        throw Object.assign(new Error('no camera API here (needs https or localhost)'), { name: 'NotSupportedError' });
      this.#stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
      this.#video.srcObject = this.#stream;
    }
    this.#img.hidden = true;
    this.#video.hidden = false;
    await this.#video.play().catch(() => undefined);
    const v = this.#video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
    const tick = () => {
      if (gen !== this.#gen || !this.#stream) return;
      if (v.readyState >= 2)
        c.classifyFrame(v, { top: this.top }).then(
          (r) => r && gen === this.#gen && this.#show(r),
          (e) => gen === this.#gen && this.#fail(e),
        );
      if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(tick);
      else requestAnimationFrame(tick);
    };
    tick();
  }

  #stopCamera() {
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = null;
    this.#video.srcObject = null;
    this.#video.hidden = true;
  }

  #show(r: ClassifyResult) {
    this.#setStatus(`${r.inferMs.toFixed(1)} ms`);
    this.#list.replaceChildren(
      ...r.top.map((p) => {
        const li = document.createElement('li');
        li.setAttribute('part', 'item');
        li.innerHTML = `<span part="bar"></span><span part="label"></span><span part="prob"></span>`;
        (li.children[0] as HTMLElement).style.width = `${(p.prob * 100).toFixed(1)}%`;
        li.children[1].textContent = p.label;
        li.children[2].textContent = `${(p.prob * 100).toFixed(1)}%`;
        return li;
      }),
    );
    const detail = { top: r.top.map(({ index, label, prob }) => ({ index, label, prob })), ms: r.ms };
    this.dispatchEvent(new CustomEvent('prediction', { detail, bubbles: true, composed: true }));
  }

  #fail(e: unknown) {
    const err = e as Error;
    const detail = { name: err?.name ?? 'Error', message: err?.message ?? String(e) };
    this.#setStatus(`${detail.name}: ${detail.message}`, true);
    this.dispatchEvent(new CustomEvent('error', { detail, bubbles: true, composed: true }));
  }

  #setStatus(text: string, error = false) {
    this.#status.textContent = text;
    this.#status.classList.toggle('error', error);
  }
}

if (!customElements.get('xnor-classifier')) customElements.define('xnor-classifier', XnorClassifierElement);

declare global {
  interface HTMLElementTagNameMap {
    'xnor-classifier': XnorClassifierElement;
  }
}
