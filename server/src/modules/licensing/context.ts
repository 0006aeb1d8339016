import type { Mailer } from '../../adapters/email/index.js';
import type { Db } from '../../db/client.js';
import type { Env } from '../../env.js';
import type { KeyRing } from '../../lib/crypto.js';
import type { LiveConfig } from '../../lib/live-config.js';
import type { LicenseCache } from './cache.js';
import type { LicenseKeys } from './keys.js';
import type { LeaseSigner } from './leases.js';
import type { ValidationLog } from './validation-log.js';

/** What the licensing services work with, built once in app.ts. */
export interface Licensing {
  db: Db;
  env: Env;
  live: LiveConfig;
  keys: LicenseKeys;
  keyRing: KeyRing;
  cache: LicenseCache;
  leases: LeaseSigner;
  validations: ValidationLog;
  mailer: Mailer;
}
