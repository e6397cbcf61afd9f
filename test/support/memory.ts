// Memory readings for the tests that bound what the worker holds: the process's resident size
// after a full collection, so that garbage the collector has not freed yet is not counted (Node 24
// keeps far more of it between collections than Node 20).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full collection: global.gc if node was started with it, else V8's own by flag. */
export const gc: () => void =
  (globalThis as { gc?: () => void }).gc ??
  ((): (() => void) => {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  })();

/** Resident memory once collected twice (a collection can free what the first one only unlinked). */
export function collectedRss(): number {
  gc();
  gc();
  return process.memoryUsage().rss;
}
