// Exposes the public API on a bare page (`window.xnor`) for tests and console experiments.
import * as xnor from '../../src/index.js';

declare global {
  interface Window {
    xnor: typeof xnor;
  }
}
window.xnor = xnor;
document.getElementById('status')!.textContent = 'ready';
