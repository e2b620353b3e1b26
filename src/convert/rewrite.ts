// The one graph-rewrite pipeline, run by every converter (builder.ts finishGraph): the runtime
// executes the graph as stored and only chooses kernels (src/runtime/fuse.ts).

import type { XnnGraph } from '../format/xnn.js';
import { foldBatchNorms, foldRelus, prune } from './fold.js';

/** Prunes dead nodes, then folds BatchNorm and Relu into their producers (each pass in fold.ts). */
export function rewriteGraph(g: XnnGraph): XnnGraph {
  return foldRelus(foldBatchNorms(prune(g)));
}
