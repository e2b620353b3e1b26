// JS heap sizes of a page and of its dedicated workers, after a forced GC, through the Chrome
// DevTools Protocol. Workers are reached with Target.setAutoAttach (non-flattened sessions:
// Playwright's CDPSession talks to them through Target.sendMessageToTarget).
import type { CDPSession, Page } from '@playwright/test';

export interface Heaps {
  page: number;
  /** One per attached worker, in attach order. */
  workers: number[];
}

export async function heapProbe(page: Page) {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const workers: string[] = [];
  const waiting = new Map<string, (result: unknown) => void>();
  let id = 0;
  cdp.on('Target.attachedToTarget', (e) => {
    if (e.targetInfo.type === 'worker') workers.push(e.sessionId);
  });
  cdp.on('Target.detachedFromTarget', (e) => {
    const i = workers.indexOf(e.sessionId);
    if (i >= 0) workers.splice(i, 1);
  });
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: { message: string } };
    if (m.id === undefined) return;
    waiting.get(`${e.sessionId}/${m.id}`)?.(m.error ? new Error(m.error.message) : m.result);
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });

  const inWorker = <T>(sessionId: string, method: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const key = `${sessionId}/${++id}`;
      waiting.set(key, (r) => {
        waiting.delete(key);
        if (r instanceof Error) reject(r);
        else resolve(r as T);
      });
      cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).catch(reject);
    });

  return {
    /** Heaps in use after a full GC in the page and in every worker. */
    async measure(): Promise<Heaps> {
      await cdp.send('HeapProfiler.collectGarbage');
      const pageHeap = (await cdp.send('Runtime.getHeapUsage')).usedSize;
      const ws: number[] = [];
      for (const s of [...workers]) {
        await inWorker(s, 'HeapProfiler.collectGarbage');
        ws.push((await inWorker<{ usedSize: number }>(s, 'Runtime.getHeapUsage')).usedSize);
      }
      return { page: pageHeap, workers: ws };
    },
    workerCount: () => workers.length,
    detach: () => cdp.detach(),
  };
}
