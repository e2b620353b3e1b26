// The one interface the bench worker drives every engine through.
import type { RunConfig } from '../protocol.js';

export interface Loaded {
  /** One inference on the fixed input, output read back to JS. */
  run(): unknown;
  threadsUsed: number;
  threadsSource: string;
  detail: Record<string, string | number | boolean>;
  dispose(): void;
}

export type Load = (config: RunConfig) => Promise<Loaded>;
