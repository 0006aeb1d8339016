import { join } from 'node:path';
import { z } from 'zod';

/** Every setting the server reads, parsed once at boot. `.env.example` documents each. */
const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Where the public reaches this instance; used in emails and as the auth base URL. */
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Root of everything this instance keeps on disk (embedded database, generated secrets, files). */
  DATA_DIR: z.string().default('./data'),
  /** An external PostgreSQL; without it an embedded server is started in DATA_DIR/postgres. */
  DATABASE_URL: z.url().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
  /** 32-byte hex/base64 session-signing secret. Generated into DATA_DIR on first run if absent. */
  AUTH_SECRET: z.string().min(32).optional(),
  /** Comma-separated `id:base64key` list; the first encrypts, all decrypt. Generated if absent. */
  APP_KEYS: z.string().optional(),
  PAYMENT_SANDBOX_SECRET: z.string().min(16).optional(),
  /** HMAC key for licence-key look-ups (32+ characters). Generated into DATA_DIR if absent; never change it. */
  LICENSE_HASH_SECRET: z.string().min(32).optional(),
  /** The provider checkout uses when the buyer names none: sandbox unless a real one is configured. */
  PAYMENT_DEFAULT_PROVIDER: z.enum(['sandbox', 'stripe', 'razorpay']).optional(),
  /**
   * Offer the offline sandbox gateway. Unset: on while no real provider (Stripe, Razorpay) is configured, off once
   * one is, so a live shop never lets buyers "pay" through it by accident.
   */
  PAYMENT_SANDBOX_ENABLED: booleanish.optional(),
  /** Where the sandbox gateway posts its webhooks; default this instance's own listening address. */
  PAYMENT_SANDBOX_WEBHOOK_URL: z.url().optional(),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** Tests only: where the Stripe SDK sends its requests (e.g. http://127.0.0.1:12111). */
  STRIPE_API_BASE: z.url().optional(),
  RAZORPAY_KEY_ID: z.string().optional(),
  RAZORPAY_KEY_SECRET: z.string().optional(),
  RAZORPAY_WEBHOOK_SECRET: z.string().optional(),
  /** Tests only: where Razorpay API requests go (default https://api.razorpay.com). */
  RAZORPAY_API_BASE: z.url().optional(),
  /** Minutes an unpaid order stays open before it is canceled and its coupon use released. */
  ORDER_EXPIRY_MINUTES: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60),
  /** How long a licence lease (the signed token installed software keeps for offline use) lasts, in seconds (7 days). */
  LICENSE_LEASE_SECONDS: z.coerce.number().int().min(60).max(365 * 24 * 3600).default(7 * 24 * 3600),
  /** Public validate / activate / deactivate calls allowed per client IP per minute. */
  LICENSE_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(300),
  /** Public calls allowed per licence key per minute, whoever sends them. */
  LICENSE_RATE_LIMIT_PER_KEY: z.coerce.number().int().min(1).default(60),
  /** Seats an owner may release from the dashboard per LICENSE_RELEASE_WINDOW_HOURS (the cooldown). */
  LICENSE_SELF_RELEASES: z.coerce.number().int().min(0).max(1000).default(3),
  LICENSE_RELEASE_WINDOW_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),
  REQUIRE_EMAIL_VERIFICATION: booleanish.default(false),
  /** Sign-in attempts allowed per IP per minute. */
  SIGN_IN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  ADMIN_EMAIL: z.email().optional(),
  ADMIN_PASSWORD: z.string().min(8).optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
  MAIL_FROM: z.string().default('Mintreu <no-reply@mintreu.local>'),
  /** Largest JSON body accepted, in bytes. */
  BODY_LIMIT: z.coerce.number().int().min(1024).default(1_048_576),
  /** Serve the built Nuxt app from this process (off for API-only instances and tests). */
  SERVE_WEB: booleanish.default(true),
  TRUST_PROXY: booleanish.default(false),
  /** How long an anonymous visitor's catalogue page is served from memory (0 turns the cache off). */
  PAGE_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** Seed the demo catalogue when the catalogue is empty (first run). */
  SEED_DEMO: booleanish.default(true),
  /** Where uploaded files live: `local` disk (STORAGE_DIR) or S3-compatible object storage (S3_*). */
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  /** The local driver's directory; default DATA_DIR/files. */
  STORAGE_DIR: z.string().optional(),
  S3_BUCKET: z.string().optional(),
  S3_REGION: z.string().default('us-east-1'),
  /** An S3-compatible endpoint (MinIO, R2, …); unset for AWS S3. */
  S3_ENDPOINT: z.url().optional(),
  /** Without these two, the AWS SDK's default credential chain (environment, instance role…) is used. */
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** `bucket` in the path rather than the host name; most S3-compatible servers want true. */
  S3_FORCE_PATH_STYLE: booleanish.default(false),
  /** Largest product file accepted by the upload endpoint, in bytes (default 5 GiB). */
  MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).default(5 * 1024 ** 3),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  GITLAB_API_URL: z.url().default('https://gitlab.com/api/v4'),
  /** Tests and development only: let source URLs point at loopback/private addresses. Refused in production. */
  ALLOW_PRIVATE_SOURCE_HOSTS: booleanish.default(false),
  /** How long a download link works after it is issued, in minutes. */
  DOWNLOAD_TOKEN_TTL_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  /** Requests one link may serve (a resumed or parallel-range request is one more) before it is used up. */
  DOWNLOAD_TOKEN_MAX_USES: z.coerce.number().int().min(1).max(1000).default(20),
  /** Only the address that asked for a link may use it. Off by default: phones and laptops change address mid-download. */
  DOWNLOAD_BIND_IP: booleanish.default(false),
  /** Download links one client address may ask for per minute, and one signed-in customer per minute. */
  DOWNLOAD_RATE_LIMIT_PER_IP: z.coerce.number().int().min(1).default(30),
  DOWNLOAD_RATE_LIMIT_PER_USER: z.coerce.number().int().min(1).default(20),
  /** Download requests (GET /api/download/…) one client address may make per minute. */
  DOWNLOAD_REDEEM_RATE_LIMIT: z.coerce.number().int().min(1).default(120),
  /** Links one licence may get in 24 hours (0: no cap). */
  DOWNLOAD_DAILY_LIMIT_PER_LICENSE: z.coerce.number().int().min(0).default(25),
  /** Links one client address may get in 24 hours, whatever the product (0: no cap). */
  DOWNLOAD_DAILY_LIMIT_PER_IP: z.coerce.number().int().min(0).default(200),
  /** Life of the presigned S3 URL a download redirects to, in seconds. */
  DOWNLOAD_REDIRECT_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
  /**
   * Behind nginx: local files are handed to it with `X-Accel-Redirect: <prefix><storage key>` (sendfile, zero-copy)
   * instead of being streamed by this process. Map the prefix to STORAGE_DIR with an `internal` location.
   */
  DOWNLOAD_ACCEL_REDIRECT_PREFIX: z.string().regex(/^\/[A-Za-z0-9._/-]*\/$/, 'must start and end with /').optional(),
  /** API gateway limits in Redis, shared by every instance (`redis://host:6379`); unset: in this process's memory. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Per-minute limits: `sliding` (the last 60 s, approximated from two windows) or `fixed` (the clock minute). */
  API_RATE_LIMIT_WINDOW: z.enum(['sliding', 'fixed']).default('sliding'),
  /** How long the gateway waits for an upstream's response headers before answering 502. */
  API_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** How often gateway usage is written to the database (in batches; a clean stop writes the rest). */
  API_USAGE_FLUSH_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  /** Keys one licence may hold at once when its plan sets no `limits.keys`. */
  API_KEYS_PER_LICENSE: z.coerce.number().int().min(1).max(1000).default(5),
  /** A small upstream served by the platform itself at /api/demo-upstream, which the seeded API products use. */
  DEMO_UPSTREAM: booleanish.optional(),
}).superRefine((env, ctx) => {
  if (env.STORAGE_DRIVER === 's3' && !env.S3_BUCKET) {
    ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'required when STORAGE_DRIVER=s3' });
  }
  if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
    ctx.addIssue({ code: 'custom', path: ['S3_SECRET_ACCESS_KEY'], message: 'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither' });
  }
  if (Boolean(env.STRIPE_SECRET_KEY) !== Boolean(env.STRIPE_WEBHOOK_SECRET)) {
    ctx.addIssue({ code: 'custom', path: ['STRIPE_WEBHOOK_SECRET'], message: 'set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or neither' });
  }
  const razorpay = [env.RAZORPAY_KEY_ID, env.RAZORPAY_KEY_SECRET, env.RAZORPAY_WEBHOOK_SECRET].filter(Boolean).length;
  if (razorpay !== 0 && razorpay !== 3) {
    ctx.addIssue({ code: 'custom', path: ['RAZORPAY_WEBHOOK_SECRET'], message: 'set RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET and RAZORPAY_WEBHOOK_SECRET together, or none' });
  }
  if (env.ALLOW_PRIVATE_SOURCE_HOSTS && env.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['ALLOW_PRIVATE_SOURCE_HOSTS'], message: 'is for tests and development only; not allowed in production' });
  }
});

export type Env = z.infer<typeof schema> & { PUBLIC_URL: string; STORAGE_DIR: string };

export class EnvError extends Error {}

export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  // Empty strings mean "unset", as in most .env files.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new EnvError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  return {
    ...env,
    PUBLIC_URL: env.PUBLIC_URL ?? `http://localhost:${env.PORT}`,
    STORAGE_DIR: env.STORAGE_DIR ?? join(env.DATA_DIR, 'files'),
  };
}
