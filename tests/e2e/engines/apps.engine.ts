// The apps in each engine: the demo (model picked, a sample photo classified), the widget's
// example page (a photo, and `camera` on each engine's fake camera: Chromium's
// --use-fake-device-for-media-stream, Firefox's media.navigator.streams.fake, WebKitGTK's mock
// capture devices); the three examples/ apps as built from the packed package (vite, webpack,
// plain <script type=module> with an import map: global-setup.ts builds them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/shared.js';
import { serve } from '../../../web/serve.js';
import { EXAMPLES } from '../examples-build.js';
import { requireModel } from '../models.js';
import { CACHE_DIR } from './reference.js';
import { baseUrl, expect, test } from './fixtures.js';

const waitFor = async <T>(probe: () => Promise<T | null>, what: string, ms = 60_000): Promise<T> => {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
};

test('the demo classifies a sample photo with the ImageNet ResNet-18', async ({ engine, record }) => {
  requireModel('imagenet-resnet18.xnn');
  const page = await engine.newPage(`${baseUrl()}/demo/`);
  try {
    await waitFor(() => page.evaluate(() => (document.body.dataset.model === 'ready' ? true : null), null), 'the demo model');
    const picked = await page.evaluate(() => {
      const select = document.querySelector<HTMLSelectElement>('[data-testid=model-select]')!;
      const opts = [...select.options].map((o) => o.value);
      const want = opts.find((v) => v === 'models/imagenet-resnet18.xnn') ?? opts.find((v) => v.endsWith('/imagenet-resnet18.xnn'));
      if (!want) return null;
      if (select.value !== want) {
        select.value = want;
        select.dispatchEvent(new Event('change', { bubbles: true }));
      }
      return want;
    }, null);
    expect(picked).toMatch(/imagenet-resnet18\.xnn$/);
    await waitFor(() => page.evaluate(() => (document.body.dataset.model === 'ready' ? true : null), null), 'the ImageNet model');
    await page.evaluate(() => document.querySelector<HTMLButtonElement>('[data-testid=sample-chelsea]')!.click(), null);
    const top1 = await waitFor(
      () => page.evaluate(() => document.querySelector('[data-testid=top1-label]')?.textContent?.trim() || null, null),
      'a prediction',
    );
    expect(top1).toBe('Egyptian cat');
    const simd = await page.evaluate(() => document.querySelector('[data-testid=simd]')?.textContent ?? '', null);
    expect(simd).toMatch(/SIMD: on/);
    record({ apps: ['demo'] });
  } finally {
    await page.close();
  }
});

type WidgetEvent = { type: string; detail: { name?: string; top?: { label: string }[] } };

for (const query of ['', '?camera']) {
  test(`the widget example${query ? ' with `camera` (fake camera)' : ''} dispatches a prediction`, async ({ engine, record }) => {
    requireModel('imagenet-resnet18.xnn');
    const page = await engine.newPage(`${baseUrl()}/widget/example.html${query}`);
    try {
      const ev = await waitFor(
        () => page.evaluate(() => ((window as unknown as { events?: WidgetEvent[] }).events?.[0] ?? null), null),
        'the widget\'s first event',
      );
      expect(ev).toMatchObject({ type: 'prediction' });
      expect(ev.detail.top).toHaveLength(3);
      if (!query) expect(ev.detail.top![0].label).toBe('Egyptian cat');
      else expect(await page.evaluate(() => !!document.querySelector('xnor-classifier')?.shadowRoot?.querySelector('video') || !!document.querySelector('xnor-classifier video'), null)).toBe(true);
      record({ apps: [query ? 'widget camera' : 'widget'] });
    } finally {
      await page.close();
    }
  });
}

const CIFAR = readFileSync(join(REPO_ROOT, 'models/labels/cifar10-classes.txt'), 'utf8').trim().split('\n');

for (const ex of EXAMPLES)
  test(`examples/${ex.name} (the packed package) classifies a photo`, async ({ engine, record }) => {
    // Each app on a server of its own, at its root: a Vite build refers to /assets/… absolutely.
    const site = await serve(join(CACHE_DIR, 'www/examples', ex.name, ex.root));
    const page = await engine.newPage(`${site.url}/index.html`);
    try {
      const out = await waitFor(
        () => page.evaluate(() => {
          const el = document.getElementById('result');
          const d = el?.dataset;
          return d?.status === 'done' || d?.status === 'error'
            ? { status: d.status, main: d.main, worker: d.worker, caps: d.caps, text: el!.textContent }
            : null;
        }, null),
        `examples/${ex.name}`,
      );
      expect(out.status, out.text ?? '').toBe('done');
      expect(CIFAR).toContain(out.main);
      if (ex.worker) expect(CIFAR).toContain(out.worker);
      expect(JSON.parse(out.caps!)).toMatchObject({ simd: true });
      record({ apps: [`example ${ex.name}`] });
    } finally {
      await page.close();
      site.server.closeAllConnections();
      await new Promise((ok) => site.server.close(ok));
    }
  });
