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
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /** 32-byte hex/base64 session-signing secret. Generated into DATA_DIR on first run if absent. */
  AUTH_SECRET: z.string().min(32).optional(),
  /** Comma-separated `id:base64key` list; the first encrypts, all decrypt. Generated if absent. */
  APP_KEYS: z.string().optional(),
  PAYMENT_SANDBOX_SECRET: z.string().min(16).optional(),
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
});

export type Env = z.infer<typeof schema> & { PUBLIC_URL: string };

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
  return { ...env, PUBLIC_URL: env.PUBLIC_URL ?? `http://localhost:${env.PORT}` };
}
