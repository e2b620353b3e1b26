// Launchers for the cross-engine suite: the three browser engines, each from Debian's packages,
// behind one small interface (open a page, evaluate a function in it, close).
//
//  - chromium: Debian's /usr/bin/chromium through Playwright (CDP), as the rest of tests/e2e;
//  - firefox:  Debian's firefox-esr through puppeteer-core over WebDriver BiDi (headless, no
//    geckodriver). Not Playwright: the installed @playwright/test 1.65's `moz-firefox` channel
//    fails on firefox-esr (newPage: `emulation.setMediaFeaturesOverride: unknown command`), and
//    pinning Playwright back to 1.64 would hold every other spec back with it. (puppeteer-core
//    24.x and selenium-webdriver 4.46: the newest that declare Node 20 support, so no EBADENGINE);
//  - webkit:   WebKitGTK's MiniBrowser (libwebkit2gtk-4.1-0) through its WebKitWebDriver
//    (webkit2gtk-driver) with selenium-webdriver, under xvfb-run: MiniBrowser has no headless
//    mode. `sharedArrayBuffer: true` starts it with JSC_useSharedArrayBuffer=1 (without it
//    WebKitGTK has no SharedArrayBuffer, even cross-origin isolated).
//
// evaluate(fn, arg) sends `fn`'s source and `arg` (JSON) to the page and returns what `fn`
// resolves to, through JSON: the same on every driver. A rejection becomes an Error here with
// the page's message.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../browser.js';

export type EngineName = 'chromium' | 'firefox' | 'webkit';

export interface EnginePage {
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  /** A full garbage collection in the page, where the driver can ask for one (Chromium: CDP). */
  gc?: () => Promise<void>;
  close(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  /** Browser name and version as the driver reports them, e.g. "Firefox 153.8.0". */
  version: string;
  /** Root pid of the browser's process tree (for memory measurements through /proc). */
  pid: number | undefined;
  newPage(url: string): Promise<EnginePage>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** WebKit: start with JSC_useSharedArrayBuffer=1. */
  sharedArrayBuffer?: boolean;
}

export const firefoxPath = () => process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const webkitDriverPath = () => process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export function miniBrowserPath(): string {
  if (process.env.MINIBROWSER_PATH) return process.env.MINIBROWSER_PATH;
  for (const d of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    const p = `${d}/webkit2gtk-4.1/MiniBrowser`;
    if (existsSync(p)) return p;
  }
  return '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
}

/** The binaries an engine needs; a missing one fails the suite in CI (.ci/run installs them). */
export function missingBinaries(name: EngineName): string[] {
  const need =
    name === 'chromium' ? [chromiumPath()] : name === 'firefox' ? [firefoxPath()] : [webkitDriverPath(), miniBrowserPath(), '/usr/bin/xvfb-run', '/usr/bin/xauth'];
  return need.filter((p) => !existsSync(p));
}

const PROTOCOL_TIMEOUT = 15 * 60_000;

/** The page-side wrapper: runs fn(arg) and answers JSON `{ ok }` or `{ err }`. */
const wrap = (fn: (arg: never) => unknown, arg: unknown) =>
  `Promise.resolve(${JSON.stringify(arg ?? null)}).then(${fn.toString()}).then(` +
  `(v) => JSON.stringify({ ok: v === undefined ? null : v }), ` +
  `(e) => JSON.stringify({ err: (e && e.name ? e.name + ': ' : '') + (e && e.message !== undefined ? e.message : String(e)) + (e && e.stack ? '\\n' + e.stack : '') }))`;

function unwrap<R>(json: unknown): R {
  if (typeof json !== 'string') throw new Error(`page answered ${typeof json}, not the JSON string the wrapper returns`);
  const r = JSON.parse(json) as { ok?: R; err?: string };
  if (r.err !== undefined) throw new Error(`in the page: ${r.err}`);
  return r.ok as R;
}

async function launchChromium(): Promise<Engine> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs({ fakeCamera: true }) });
  const context = await browser.newContext({ serviceWorkers: 'block' });
  // Playwright does not expose the browser's pid: it is the child of this process running chromium.
  const pid = childPids(process.pid).find((p) => {
    try {
      return /chrom/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0]);
    } catch {
      return false;
    }
  });
  return {
    name: 'chromium',
    version: `Chromium ${browser.version()}`,
    pid,
    async newPage(url) {
      const page = await context.newPage();
      await page.goto(url);
      const cdp = await context.newCDPSession(page);
      return {
        evaluate: async (fn, arg) => unwrap(await page.evaluate(wrap(fn as never, arg))),
        gc: async () => {
          await cdp.send('HeapProfiler.collectGarbage');
        },
        close: () => page.close(),
      };
    },
    close: () => browser.close(),
  };
}

async function launchFirefox(): Promise<Engine> {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    protocolTimeout: PROTOCOL_TIMEOUT,
    // Fake camera and auto-granted permission, as Chromium's --use-fake-*-for-media-stream.
    extraPrefsFirefox: { 'media.navigator.streams.fake': true, 'media.navigator.permission.disabled': true },
  });
  const v = await browser.version(); // "firefox/153.8.0"
  return {
    name: 'firefox',
    version: `Firefox ${v.replace(/^firefox\//i, '')}`,
    pid: browser.process()?.pid,
    async newPage(url) {
      const page = await browser.newPage();
      page.setDefaultTimeout(PROTOCOL_TIMEOUT);
      // ENGINES_DEBUG=1: the page's console here, timed (Chromium and WebKit have no such hook in this harness).
      if (process.env.ENGINES_DEBUG) page.on('console', (m) => console.log(`[ff ${new Date().toISOString().slice(11, 23)}] ${m.type()}: ${m.text()}`));
      await page.goto(url);
      return {
        evaluate: async (fn, arg) => unwrap(await page.evaluate(wrap(fn as never, arg))),
        close: () => page.close(),
      };
    },
    close: () => browser.close(),
  };
}

const freePort = () =>
  new Promise<number>((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });

async function launchWebkit(opts: LaunchOptions): Promise<Engine> {
  const { Builder } = await import('selenium-webdriver');
  const port = await freePort();
  const env = { ...process.env };
  if (opts.sharedArrayBuffer) env.JSC_useSharedArrayBuffer = '1';
  else delete env.JSC_useSharedArrayBuffer;
  // xvfb-run -a: a private X display for MiniBrowser; detached, so the whole group is ended.
  const driver: ChildProcess = spawn(
    'xvfb-run',
    ['-a', '-s', '-screen 0 1280x1024x24 -nolisten tcp', webkitDriverPath(), `--port=${port}`, '--host=127.0.0.1'],
    { detached: true, stdio: ['ignore', 'ignore', 'pipe'], env },
  );
  let stderr = '';
  driver.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const kill = () => {
    try {
      if (driver.pid) process.kill(-driver.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  };
  try {
    const server = `http://127.0.0.1:${port}`;
    for (let t = 0; ; t++) {
      if (driver.exitCode !== null) throw new Error(`WebKitWebDriver exited (${driver.exitCode}): ${stderr}`);
      const up = await fetch(`${server}/status`).then((r) => r.ok, () => false);
      if (up) break;
      if (t > 300) throw new Error(`WebKitWebDriver did not answer on ${server} in 30 s: ${stderr}`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
    const wd = await new Builder()
      .usingServer(server)
      .withCapabilities({
        browserName: 'MiniBrowser',
        // Mock capture devices: WebKitGTK's fake camera (the widget's `camera` check).
        'webkitgtk:browserOptions': { binary: miniBrowserPath(), args: ['--automation', '--enable-media-stream=true', '--enable-mock-capture-devices=true'] },
      })
      .build();
    await wd.manage().setTimeouts({ script: PROTOCOL_TIMEOUT, pageLoad: 60_000 });
    const caps = await wd.getCapabilities();
    const version = `WebKitGTK ${caps.get('browserVersion')}`;
    let open = false;
    return {
      name: 'webkit',
      version,
      pid: driver.pid,
      async newPage(url) {
        // One WebDriver session is one window: pages are opened one after another.
        if (open) throw new Error('webkit: one page at a time (close the previous one first)');
        open = true;
        await wd.get(url);
        return {
          async evaluate(fn, arg) {
            const script =
              'const done = arguments[arguments.length - 1];' +
              `${wrap(fn as never, arg)}.then(done, (e) => done(JSON.stringify({ err: String(e) })));`;
            return unwrap(await wd.executeAsyncScript(script));
          },
          async close() {
            await wd.get('about:blank');
            open = false;
          },
        };
      },
      async close() {
        await wd.quit().catch(() => undefined);
        kill();
      },
    };
  } catch (e) {
    kill();
    throw e;
  }
}

export async function launch(name: EngineName, opts: LaunchOptions = {}): Promise<Engine> {
  if (name === 'chromium') return launchChromium();
  if (name === 'firefox') return launchFirefox();
  return launchWebkit(opts);
}

function processTree(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      /* exited meanwhile */
    }
  }
  return children;
}

const childPids = (pid: number) => processTree().get(pid) ?? [];

/** Proportional set size (bytes) of `root` and all its descendant processes, from /proc. */
export function treePss(root: number): number {
  const children = processTree();
  let total = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    stack.push(...(children.get(pid) ?? []));
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      /* exited meanwhile, or not readable */
    }
  }
  return total;
}
