// web/demo/api.html exposes the library as window.xnor; page.evaluate callbacks use it.
declare global {
  interface Window {
    xnor: typeof import('../../src/index.js');
  }
}
export {};
