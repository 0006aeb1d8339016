import { betterAuth } from 'better-auth';
import { eq } from 'drizzle-orm';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { bearer } from 'better-auth/plugins';
import type { Mailer } from '../../adapters/email/index.js';
import type { Db } from '../../db/client.js';
import type { Env } from '../../env.js';
import { newId, type IdKind } from '../../lib/ids.js';
import { renderMail } from '../mail/templates.js';
import { attachLicensesToUser } from '../licensing/service.js';
import { accounts, sessions, users, verifications } from './tables.js';

/** The header our HTTP bridge sets from Fastify's view of the client address (clients cannot forge it). */
export const CLIENT_IP_HEADER = 'x-mintreu-client-ip';

const idKinds: Record<string, IdKind> = {
  user: 'user',
  session: 'session',
  account: 'account',
  verification: 'verification',
};

interface AuthOptions {
  db: Db;
  env: Env;
  secret: string;
  mailer: Mailer;
  log: (message: string, error?: unknown) => void;
}

export function createAuth({ db, env, secret, mailer, log }: AuthOptions) {
  // Mail leaves in the background: an SMTP round-trip must not delay the response, nor reveal by
  // its timing whether an address has an account.
  const send = (mail: Parameters<Mailer['send']>[0]) => {
    mailer.send(mail).catch((error) => log(`sending "${mail.subject}" to ${mail.to} failed`, error));
  };
  const local = new URL(env.PUBLIC_URL);
  const trustedOrigins = [
    local.origin,
    `http://localhost:${env.PORT}`,
    `http://127.0.0.1:${env.PORT}`,
    ...(env.NODE_ENV === 'development' ? ['http://localhost:3001', 'http://127.0.0.1:3001'] : []),
  ];

  return betterAuth({
    appName: 'Mintreu',
    baseURL: env.PUBLIC_URL,
    basePath: '/api/auth',
    secret,
    trustedOrigins,
    telemetry: { enabled: false },
    logger: { level: 'error', log: (_level, message, ...args) => log(`auth: ${message}`, args[0]) },
    // Unexpected failures (a lost database) are thrown to Fastify's error handler, which answers
    // 503 or a masked 500 like every other route; expected ones still come back as responses.
    onAPIError: { throw: true },
    database: drizzleAdapter(db, {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verifications },
    }),
    user: {
      additionalFields: {
        // input: false — sign-up cannot choose a role or unban itself.
        role: { type: 'string', required: false, defaultValue: 'customer', input: false },
        banned: { type: 'boolean', required: false, defaultValue: false, input: false },
        banReason: { type: 'string', required: false, input: false },
      },
    },
    emailAndPassword: {
      enabled: true,
      minPasswordLength: 8,
      maxPasswordLength: 128,
      requireEmailVerification: env.REQUIRE_EMAIL_VERIFICATION,
      revokeSessionsOnPasswordReset: true,
      sendResetPassword: async ({ user, url }) =>
        send(
          renderMail({
            to: user.email,
            subject: 'Reset your Mintreu password',
            heading: 'Reset your password',
            paragraphs: [
              `Hello ${user.name}, someone (hopefully you) asked to reset the password of your Mintreu account.`,
              'The link works once and expires in one hour. If you did not ask for it, ignore this email.',
            ],
            action: { label: 'Choose a new password', url },
          }),
        ),
    },
    emailVerification: {
      sendOnSignUp: true,
      autoSignInAfterVerification: true,
      sendVerificationEmail: async ({ user, url }) =>
        send(
          renderMail({
            to: user.email,
            subject: 'Confirm your email address',
            heading: 'Confirm your email address',
            paragraphs: [`Welcome to Mintreu, ${user.name}. Please confirm that this address is yours.`],
            action: { label: 'Confirm my email', url },
          }),
        ),
    },
    session: {
      expiresIn: 60 * 60 * 24 * 30,
      updateAge: 60 * 60 * 24,
    },
    rateLimit: {
      enabled: true,
      window: 60,
      max: 120,
      storage: 'memory',
      customRules: {
        // Session reads are lookups, and server-side rendering makes them for every visitor from 127.0.0.1:
        // limiting them per address would throttle the whole storefront.
        '/get-session': false,
        '/sign-in/email': { window: 60, max: env.SIGN_IN_RATE_LIMIT },
        '/sign-up/email': { window: 60, max: Math.max(env.SIGN_IN_RATE_LIMIT, 10) },
        '/request-password-reset': { window: 60, max: 5 },
        '/send-verification-email': { window: 60, max: 5 },
      },
    },
    databaseHooks: {
      // Licences an admin granted to this address before the account existed join it once the address is verified.
      user: {
        create: { after: async (user) => void (await attachLicensesToUser(db, user)) },
        update: { after: async (user) => void (await attachLicensesToUser(db, user)) },
      },
      session: {
        create: {
          // A banned user gets no new session.
          before: async (session) => {
            const [user] = await db
              .select({ banned: users.banned })
              .from(users)
              .where(eq(users.id, session.userId));
            if (user?.banned) return false;
          },
        },
      },
    },
    advanced: {
      cookiePrefix: 'mintreu',
      useSecureCookies: local.protocol === 'https:',
      ipAddress: { ipAddressHeaders: [CLIENT_IP_HEADER] },
      database: {
        generateId: ({ model }) => newId(idKinds[model] ?? 'event'),
      },
    },
    plugins: [bearer()],
  });
}

export type Auth = ReturnType<typeof createAuth>;
