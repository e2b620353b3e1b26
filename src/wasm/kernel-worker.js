// A kernel worker (docs/THREADS.md): instantiates xnor.mt.wasm over the shared memory it is
// sent and then only runs its share of the jobs that src/wasm/pool.ts posts in the control
// block; it never allocates, plans or grows memory. Plain JavaScript with no imports, so the
// same file runs as a module Web Worker (bundlers emit it from the literal in spawn.ts) and as
// a Node worker_threads worker, from src/ and from dist/ alike.

/**
 * init: { module, memory, ctrl, index, entries, layout, indexBits, spin, activeSpin, adapt } (see pool.ts);
 * a job's chunk i is [bounds[i], bounds[i + 1]), the i32s at the job's `bounds` pointer.
 * Blocks in the job loop until told to exit; `post` reports { ready } once, then { error } per
 * failed chunk.
 *
 * Why a claim is safe without locks: the worker reads `claim` (v = tag | i), checks the tag is
 * the job it woke for and i < chunks, reads the job fields, and then compareExchanges v → v+1.
 * If that succeeds, chunk i of that job was unclaimed at that moment, so the job was not
 * finished, so the caller had not yet closed it (it closes only after every chunk is done) nor
 * written the next job's fields (it writes them only after closing): the fields read before
 * the exchange were this job's. If anything changed, the exchange fails and the worker looks
 * again. (The tag is 21 bits of gen: a worker would have to stall across 2^21 jobs between
 * its load and its exchange to be fooled.)
 */
function serve(init, post) {
  const { module, memory, index, entries, spin, activeSpin, adapt } = init;
  const L = init.layout;
  const bits = init.indexBits;
  const mask = (1 << bits) - 1;
  const tagMask = (1 << (32 - bits)) - 1;
  const abort = (_m, _f, line, col) => {
    throw new Error(`xnor.mt.wasm: assertion failed at ${line}:${col}`);
  };
  const ex = new WebAssembly.Instance(module, { env: { memory, abort } }).exports;
  const fns = entries.map((name) => ex[name]);
  const c = new Int32Array(memory.buffer, init.ctrl, L.ints);
  const a = L.args;
  // The chunk bounds are placed at load, after this worker started; the memory grew meanwhile.
  let mem = new Int32Array(memory.buffer);
  let seen = Atomics.load(c, L.gen);
  // adapt (pool.ts PoolTuning.adaptiveSpin; the rule of adaptSpin there): the poll limit inside an inference
  let lim = activeSpin;
  let waits = 0;
  post({ ready: true });
  for (;;) {
    // Poll a little (`spin`), longer (`activeSpin`) while the caller flags an inference as
    // running (pool.ts begin/end: its jobs come tens of µs apart), then sleep. A begin() notify
    // may wake this wait with gen unchanged: the loop then polls again.
    let g = Atomics.load(c, L.gen);
    const most = adapt && ++waits % adapt.probe !== 0 ? lim : activeSpin;
    const least = Math.min(spin, most);
    let sleptAt = -1;
    for (let s = 0; g === seen; g = Atomics.load(c, L.gen)) {
      if (++s > least && (Atomics.load(c, L.active) ? s > most : s > spin)) {
        if (adapt && sleptAt < 0 && Atomics.load(c, L.active)) sleptAt = performance.now();
        Atomics.wait(c, L.gen, seen);
        // woken with no new job: begin() starting an inference after a sleep between two
        if (Atomics.load(c, L.gen) === seen) sleptAt = -1;
        s = 0;
      }
    }
    seen = g;
    if (adapt && Atomics.load(c, L.active)) {
      const slept = sleptAt < 0 ? -1 : performance.now() - sleptAt;
      if (slept < 0 && most >= activeSpin) lim = activeSpin;
      else lim = slept >= adapt.longMs ? Math.max(adapt.min, lim >> 1) : Math.min(activeSpin, lim * 2);
    }
    if (Atomics.load(c, L.exit)) return;
    for (;;) {
      const v = Atomics.load(c, L.claim);
      const i = v & mask;
      const chunks = c[L.chunks];
      if (v >>> bits !== (g & tagMask) || i >= chunks) break;
      const fn = fns[c[L.entry]];
      const bi = (c[L.bounds] >> 2) + i;
      if (bi + 1 >= mem.length) mem = new Int32Array(memory.buffer);
      const from = mem[bi], to = mem[bi + 1];
      const mode = c[L.mode];
      const a0 = c[a], a1 = c[a + 1], a2 = c[a + 2], a3 = c[a + 3], a4 = c[a + 4], a5 = c[a + 5];
      const a6 = c[a + 6], a7 = c[a + 7], a8 = c[a + 8], a9 = c[a + 9], a10 = c[a + 10];
      if (Atomics.compareExchange(c, L.claim, v, v + 1) !== v) continue;
      try {
        ex.setPopcountMode(mode);
        fn(from, to, index, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10);
      } catch (e) {
        Atomics.store(c, L.failed, index);
        post({ error: String(e && e.stack ? e.stack : e) });
      }
      if (Atomics.add(c, L.done, 1) + 1 === chunks) Atomics.notify(c, L.done);
    }
  }
}

if (typeof WorkerGlobalScope !== 'undefined') {
  // A Web Worker.
  self.addEventListener('message', (e) => serve(e.data, (m) => self.postMessage(m)), { once: true });
} else {
  // Node: not a literal, and marked, so browser bundlers leave it alone.
  const wt = 'node:worker_threads';
  import(/* webpackIgnore: true */ /* @vite-ignore */ wt).then(({ parentPort }) => {
    parentPort.once('message', (m) => serve(m, (r) => parentPort.postMessage(r)));
  });
}
