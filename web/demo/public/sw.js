// Offline support for the demo, kept simple: network first, and every same-origin GET that
// succeeds (page, scripts, xnor.wasm, models, samples) is cached; offline, the cache answers.
// Cached responses keep their COOP/COEP headers, so the page stays cross-origin isolated.
const CACHE = 'xnor-web-demo-v1';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        const res = await fetch(req);
        if (res.ok && res.status === 200) event.waitUntil(cache.put(req, res.clone()));
        return res;
      } catch (err) {
        const hit = await cache.match(req, { ignoreSearch: true });
        if (hit) return hit;
        throw err;
      }
    })(),
  );
});
