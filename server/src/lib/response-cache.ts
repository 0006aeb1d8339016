/**
 * Serialised public responses (the catalogue's lists and pages), kept in memory until anything
 * they show may have changed on any instance (`generation`, see LiveConfig) or `ttlMs` passes.
 * Concurrent misses for one key share a single computation.
 */
export function createResponseCache<Body = string>(options: { ttlMs: number; maxEntries: number; generation: () => number }) {
  const entries = new Map<string, { body: Body; storedAt: number; generation: number }>();
  const pending = new Map<string, Promise<Body>>();

  return {
    async get(key: string, compute: () => Promise<Body>): Promise<Body> {
      const generation = options.generation();
      const entry = entries.get(key);
      if (entry && entry.generation === generation && Date.now() - entry.storedAt < options.ttlMs) return entry.body;
      const inFlight = pending.get(key);
      if (inFlight) return inFlight;
      const promise = compute()
        .then((body) => {
          entries.delete(key);
          entries.set(key, { body, storedAt: Date.now(), generation });
          if (entries.size > options.maxEntries) entries.delete(entries.keys().next().value!);
          return body;
        })
        .finally(() => pending.delete(key));
      pending.set(key, promise);
      return promise;
    },
  };
}
