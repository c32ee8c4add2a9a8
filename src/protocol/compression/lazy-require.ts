/**
 * Loads a CommonJS module (the codecs' native addons, node:zlib) on first use instead of at import.
 * A broker that never sees snappy, lz4 or zstd batches never maps their addons: each costs 2-7 MiB
 * of RSS and a few milliseconds of start (docs/performance.md, "Startup and idle memory").
 *
 * `require` is synchronous, so the first call of a *Sync codec method can load its addon and still
 * return its result directly; the codec API keeps its sync/async shape. A module that fails to load
 * throws here, at its first use, as the import would have at start.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A getter that requires `id` the first time it is called and returns the cached module after. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
