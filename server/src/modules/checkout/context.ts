import type { Mailer } from '../../adapters/email/index.js';
import type { PaymentProvider, PaymentProviderName } from '../../adapters/payments/types.js';
import type { Db } from '../../db/client.js';
import type { Env } from '../../env.js';
import type { KeyRing } from '../../lib/crypto.js';
import type { Jobs } from '../../lib/jobs.js';
import type { LiveConfig } from '../../lib/live-config.js';
import type { LocalWork } from '../../lib/local-work.js';
import type { LicenseKeys } from '../licensing/keys.js';

/** What checkout, payments and fulfilment need of the platform; built once in app.ts. */
export interface Commerce {
  db: Db;
  env: Env;
  live: LiveConfig;
  jobs: Jobs;
  /** The fast path: webhook processing and receipts start at once here; the job queue retries what fails. */
  local: LocalWork;
  mailer: Mailer;
  licenseKeys: LicenseKeys;
  keyRing: KeyRing;
  providers: Map<PaymentProviderName, PaymentProvider>;
  defaultProvider: PaymentProviderName | null;
  log(message: string, error?: unknown): void;
  /** The sandbox gateway's signing secret (it signs what it delivers to us). */
  sandboxSecret: string;
  /** Where the sandbox gateway delivers webhooks: PAYMENT_SANDBOX_WEBHOOK_URL, else this instance's own address. */
  webhookBaseUrl(): string;
}
