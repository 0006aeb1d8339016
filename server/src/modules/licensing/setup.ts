import type { Mailer } from '../../adapters/email/index.js';
import type { Db } from '../../db/client.js';
import type { Env } from '../../env.js';
import type { KeyRing } from '../../lib/crypto.js';
import { LICENSE_CHANNEL, type LiveConfig } from '../../lib/live-config.js';
import { LicenseCache } from './cache.js';
import type { Licensing } from './context.js';
import { LEASE_KEYS_ROTATED, LICENSE_ISSUED } from './events.js';
import type { LicenseKeys } from './keys.js';
import { LeaseSigner } from './leases.js';
import { ValidationLog } from './validation-log.js';

/**
 * Builds the licensing services and wires the licence cache to the change notifications every instance hears.
 * `start` loads the lease signing keys and starts the validation log; `stop` flushes it.
 */
export function createLicensing(deps: {
  db: Db;
  env: Env;
  live: LiveConfig;
  keys: LicenseKeys;
  keyRing: KeyRing;
  mailer: Mailer;
  log: (message: string, error?: unknown) => void;
}): { licensing: Licensing; start: () => Promise<void>; stop: () => Promise<void> } {
  const { db, env, live, log } = deps;
  // Revocations reach the cache through NOTIFY within a second; the TTL only bounds a missed notification.
  const cache = new LicenseCache(db, { ttlMs: 60_000, negativeTtlMs: 10_000, maxEntries: 50_000 });
  const leases = new LeaseSigner(db, deps.keyRing, env.PUBLIC_URL, env.LICENSE_LEASE_SECONDS);
  const validations = new ValidationLog(db, 2_000, log);
  const licensing: Licensing = { db, env, live, keys: deps.keys, keyRing: deps.keyRing, cache, leases, validations, mailer: deps.mailer };

  live.onNotify(LICENSE_CHANNEL, (payload) => {
    if (payload === LICENSE_ISSUED) cache.forgetUnknown();
    else if (payload === LEASE_KEYS_ROTATED) leases.load().then(() => cache.clear(), (error) => log('reloading the lease keys failed', error));
    else cache.invalidate(payload);
  });
  live.onReconnect(() => cache.clear());

  return {
    licensing,
    start: async () => {
      await leases.load();
      validations.start();
    },
    stop: () => validations.stop(),
  };
}
