import type pg from 'pg';
import type { Mailer } from '../../adapters/email/index.js';
import { createLimitStore, type LimitStore } from '../../adapters/ratelimit/index.js';
import type { Db } from '../../db/client.js';
import type { Env } from '../../env.js';
import type { KeyRing } from '../../lib/crypto.js';
import { API_KEY_CHANNEL, CATALOG_CHANNEL, LICENSE_CHANNEL, type LiveConfig } from '../../lib/live-config.js';
import { QuotaAlerts } from './alerts.js';
import { API_KEY_CREATED, SERVICE_TOKEN_REVOKED } from './events.js';
import { KeyCache } from './key-cache.js';
import { Limiter } from './limits.js';
import { UsageMeter } from './metering.js';
import { UpstreamPools } from './proxy.js';
import { ServiceTokenCache } from './service-tokens.js';

/** API access's view of the platform: what the gateway, verify, the routes and the jobs share. */
export interface ApiAccess {
  db: Db;
  env: Env;
  live: LiveConfig;
  keyRing: KeyRing;
  mailer: Mailer;
  store: LimitStore;
  cache: KeyCache;
  /** Service tokens of `POST /api/keys/verify`, dropped on revoke by every instance. */
  serviceTokens: ServiceTokenCache;
  limiter: Limiter;
  meter: UsageMeter;
  alerts: QuotaAlerts;
  /** Keep-alive connections to upstreams. */
  upstreams: UpstreamPools;
  log: (message: string, error?: unknown) => void;
  /** This instance's own base URL (a relative upstream such as the demo's resolves against it). */
  ownAddress: () => string;
}

/**
 * Builds API access and wires the key cache to the change notifications every instance hears. `start` starts the
 * usage meter; `stop` writes what is left of it, waits for alert emails and closes the limit store.
 */
export async function createApiAccess(deps: {
  db: Db; pool: pg.Pool; env: Env; live: LiveConfig; keyRing: KeyRing; mailer: Mailer; log: ApiAccess['log']; ownAddress: () => string;
}): Promise<{ apiAccess: ApiAccess; start: () => Promise<void>; stop: () => Promise<void> }> {
  const { db, env, live, log } = deps;
  const store = await createLimitStore(env.REDIS_URL);
  const cache = new KeyCache(db, { ttlMs: 60_000, negativeTtlMs: 10_000, maxEntries: 100_000 });
  const serviceTokens = new ServiceTokenCache(db, { ttlMs: 30_000, negativeTtlMs: 10_000, maxEntries: 10_000 });
  const meter = new UsageMeter(deps.pool, env.API_USAGE_FLUSH_MS, log);
  const limiter = new Limiter(store, db, meter, env.API_RATE_LIMIT_WINDOW === 'sliding');
  const alerts = new QuotaAlerts(db, deps.mailer, env.PUBLIC_URL, log);
  const upstreams = new UpstreamPools(env.API_UPSTREAM_TIMEOUT_MS);
  const apiAccess: ApiAccess = { ...deps, store, cache, serviceTokens, limiter, meter, alerts, upstreams };

  live.onNotify(API_KEY_CHANNEL, (payload) => {
    if (payload === API_KEY_CREATED) cache.forgetUnknown();
    else if (payload.startsWith(SERVICE_TOKEN_REVOKED)) serviceTokens.forget(payload.slice(SERVICE_TOKEN_REVOKED.length));
    else cache.invalidateKey(payload);
  });
  live.onNotify(LICENSE_CHANNEL, (payload) => (payload.startsWith('+') ? undefined : cache.invalidateLicense(payload)));
  // Plans, endpoints and upstreams are catalogue data: rare changes, so drop everything.
  live.onNotify(CATALOG_CHANNEL, () => cache.clear());
  live.onReconnect(() => {
    cache.clear();
    serviceTokens.clear();
  });

  return {
    apiAccess,
    start: async () => meter.start(),
    stop: async () => {
      await meter.stop();
      await alerts.settle();
      await upstreams.close();
      await store.close();
    },
  };
}
