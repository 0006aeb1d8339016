import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyRing } from './crypto.js';
import type { Env } from '../env.js';

export interface Secrets {
  authSecret: string;
  appKeys: string;
  paymentSandboxSecret: string;
  /** HMAC key of licence-key look-up hashes. Never rotated: a new one would orphan every stored hash. */
  licenseHashSecret: string;
  /** Password of the embedded PostgreSQL superuser. */
  databasePassword: string;
}

/**
 * Secrets come from the environment when set; otherwise they are generated on first run and kept
 * in DATA_DIR/secrets.json (mode 600), so `npm start` needs no configuration and restarts keep sessions.
 */
export function loadSecrets(env: Env): Secrets {
  const file = join(env.DATA_DIR, 'secrets.json');
  let stored: Partial<Secrets> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
  const generated: Secrets = {
    authSecret: stored.authSecret ?? randomBytes(32).toString('hex'),
    appKeys: stored.appKeys ?? KeyRing.generateEntry('k1'),
    paymentSandboxSecret: stored.paymentSandboxSecret ?? `whsec_${randomBytes(24).toString('hex')}`,
    licenseHashSecret: stored.licenseHashSecret ?? randomBytes(32).toString('hex'),
    databasePassword: stored.databasePassword ?? randomBytes(18).toString('base64url'),
  };
  if (JSON.stringify(generated) !== JSON.stringify(stored)) {
    mkdirSync(env.DATA_DIR, { recursive: true });
    writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return {
    authSecret: env.AUTH_SECRET ?? generated.authSecret,
    appKeys: env.APP_KEYS ?? generated.appKeys,
    paymentSandboxSecret: env.PAYMENT_SANDBOX_SECRET ?? generated.paymentSandboxSecret,
    licenseHashSecret: env.LICENSE_HASH_SECRET ?? generated.licenseHashSecret,
    databasePassword: generated.databasePassword,
  };
}
