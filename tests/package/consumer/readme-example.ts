// The README's API example (kept equal to it by tests/package/readme-example.test.ts), type-checked
// as a user's code: `npm run typecheck` against src/ by a paths mapping, `npm run check:package`
// against the packed tarball's exports and .d.ts.
import { loadModel } from 'xnor-web';

// One entry point. The source: a URL, bytes, a Blob, a Response or (Node) a path.
const model = await loadModel('/models/imagenet-resnet18.xnn', {
  workers: 1, // 0 (the default): on this thread; n: in n Web Workers, each with its own copy
  threads: 2, // kernel threads per model (needs a cross-origin isolated page)
  onProgress: ({ loaded, total }) => console.log(loaded, total),
});
// classify takes what a page has: ImageData, an ImageBitmap, an img/canvas/video element,
// a Blob, or a RawImage { width, height, channels, data }; any size is fitted to the input.
const canvas = document.querySelector('canvas')!;
const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
const { top } = await model.classify(pixels, { top: 5 }); // [{ index, label, prob }]
const out = await model.run(new Float32Array(224 * 224 * 3)); // raw output, NHWC input
console.log(top[0].label, out.shape, model.threads);
model.dispose();

export {};
