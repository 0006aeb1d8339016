import type { IncomingMessage, ServerResponse } from 'node:http';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Mailer } from './adapters/email/index.js';
import { createPaymentProviders, defaultProviderName } from './adapters/payments/index.js';
import { createStorage, type Storage } from './adapters/storage/index.js';
import type { Database, Db } from './db/client.js';
import type { Env } from './env.js';
import { KeyRing } from './lib/crypto.js';
import { AppError } from './lib/errors.js';
import { registerGuard } from './lib/guard.js';
import { HotLane, requestIdOf } from './lib/hot-lane.js';
import { Jobs } from './lib/jobs.js';
import { LocalWork } from './lib/local-work.js';
import { registerErrorHandling } from './lib/http-errors.js';
import { LiveConfig } from './lib/live-config.js';
import { registerMetrics } from './lib/metrics.js';
import { createPageCache } from './lib/page-cache.js';
import { securityHeaders } from './lib/security-headers.js';
import type { Secrets } from './lib/secrets.js';
import { version } from './lib/version.js';
import type { ApiAccess } from './modules/api-access/context.js';
import { createApiAccess } from './modules/api-access/context.js';
import { createAuth, type Auth } from './modules/auth/auth.js';
import type { Commerce } from './modules/checkout/context.js';
import { defineCommerceJobs } from './modules/checkout/jobs.js';
import type { Licensing } from './modules/licensing/context.js';
import { LicenseKeys } from './modules/licensing/keys.js';
import { createLicensing } from './modules/licensing/setup.js';
import { deliverSandboxRefund } from './modules/payments/sandbox-gateway.js';
import { modules } from './modules/index.js';

export type WebListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface AppOptions {
  env: Env;
  secrets: Secrets;
  database: Database;
  mailer: Mailer;
  /** The built Nuxt app's request listener; every non-API GET goes to it. */
  web?: WebListener;
  logger?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    env: Env;
    db: Db;
    database: Database;
    live: LiveConfig;
    auth: Auth;
    mailer: Mailer;
    keyRing: KeyRing;
    secrets: Secrets;
    storage: Storage;
    jobs: Jobs;
    licenseKeys: LicenseKeys;
    licensing: Licensing;
    /** Checkout, payments and fulfilment's view of the platform. */
    commerce: Commerce;
    /** API keys, the gateway's cache, limits and usage meter. */
    apiAccess: ApiAccess;
    /** Endpoints served ahead of Fastify's router (licence validation, the gateway): lib/hot-lane.ts. */
    hotLane: HotLane;
  }
}

/** URLs whose last segment is a secret (download links), masked in request logs. */
const capabilityPath = /^(\/api\/download\/)[^/?#]+/;

/** A request as the log shows it: Fastify's default fields, with a download link's token masked. */
export function serializeRequest(request: Pick<FastifyRequest, 'method' | 'url' | 'host' | 'ip' | 'socket'>) {
  return {
    method: request.method,
    url: request.url.replace(capabilityPath, '$1[token]'),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { env, database } = options;
  const providers = createPaymentProviders(env, options.secrets, {
    sandboxDeliver: (request) => deliverSandboxRefund(commerce, request),
  });
  const headers = securityHeaders({ https: new URL(env.PUBLIC_URL).protocol === 'https:', razorpay: providers.has('razorpay') });
  const hotLane = new HotLane({ securityHeaders: headers.api, trustProxy: env.TRUST_PROXY });
  const app = Fastify({
    serverFactory: hotLane.serverFactory,
    logger:
      options.logger === false
        ? false
        : {
            level: env.LOG_LEVEL,
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
            // A download link's token is a capability: the log keeps the route, never the token.
            serializers: { req: serializeRequest },
          },
    bodyLimit: env.BODY_LIMIT,
    trustProxy: env.TRUST_PROXY,
    genReqId: requestIdOf,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const log = (message: string, error?: unknown) => app.log.warn({ err: error }, message);
  const live = new LiveConfig(database.db, database.url, version, log);
  const auth = createAuth({ db: database.db, env, secret: options.secrets.authSecret, mailer: options.mailer, log });
  app.decorate('env', env);
  app.decorate('db', database.db);
  app.decorate('database', database);
  app.decorate('live', live);
  app.decorate('auth', auth);
  app.decorate('mailer', options.mailer);
  app.decorate('secrets', options.secrets);
  const keyRing = new KeyRing(options.secrets.appKeys);
  app.decorate('keyRing', keyRing);
  const storage = createStorage(env);
  app.decorate('storage', storage);
  const jobs = new Jobs(database.pool, log);
  app.decorate('jobs', jobs);
  const licenseKeys = new LicenseKeys(keyRing, options.secrets.licenseHashSecret);
  app.decorate('licenseKeys', licenseKeys);
  const licensing = createLicensing({ db: database.db, env, live, keys: licenseKeys, keyRing, mailer: options.mailer, log });
  app.decorate('licensing', licensing.licensing);
  const commerce: Commerce = {
    db: database.db, env, live, jobs, local: new LocalWork(4, 1000), mailer: options.mailer, licenseKeys, keyRing, providers,
    defaultProvider: defaultProviderName(env, providers),
    sandboxSecret: options.secrets.paymentSandboxSecret,
    log,
    webhookBaseUrl: () => env.PAYMENT_SANDBOX_WEBHOOK_URL?.replace(/\/+$/, '') ?? ownAddress(app),
  };
  app.decorate('commerce', commerce);
  const apiAccess = await createApiAccess({ db: database.db, pool: database.pool, env, live, keyRing, mailer: options.mailer, log, ownAddress: () => ownAddress(app) });
  app.decorate('apiAccess', apiAccess.apiAccess);
  const commerceJobs = defineCommerceJobs(jobs, commerce);

  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(headers.api);
    reply.header('x-request-id', request.id);
    done();
  });
  registerErrorHandling(app);
  registerGuard(app, auth);
  hotLane.log = app.log;
  hotLane.observe = registerMetrics(app);
  app.decorate('hotLane', hotLane);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Mintreu API', version, description: 'Sell and deliver digital products, licences and API access.' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'mintreu.session_token' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    // Swagger UI sets a few inline styles as it renders; allow those, nothing else.
    transformStaticCSP: (header) => header.replace("style-src 'self' https:", "style-src 'self' 'unsafe-inline'"),
  });
  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  for (const { plugin, prefix } of modules) await app.register(plugin, { prefix });

  app.setNotFoundHandler((request) => {
    throw new AppError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`);
  });
  if (options.web) mountWeb(app, options.web, headers.document);

  // An admin's change shows at once on the instance that made it; others hear of it through NOTIFY.
  app.addHook('onResponse', (request, reply, done) => {
    if (request.method !== 'GET' && reply.statusCode < 400 && request.url.startsWith('/api/admin/')) live.generation++;
    done();
  });

  app.addHook('onReady', async () => {
    await live.start();
    await licensing.start();
    await apiAccess.start();
    await jobs.start();
    await commerceJobs.schedule();
  });
  app.addHook('onClose', async () => {
    commerce.local.close();
    await jobs.stop();
    await licensing.stop();
    // Every request has finished by now: what the gateway metered is written before the database closes.
    await apiAccess.stop();
    await live.stop();
    await storage.close();
  });
  return app;
}

/** This instance's own base URL, for deliveries it makes to itself (the sandbox gateway's webhooks). */
function ownAddress(app: FastifyInstance): string {
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('The server is not listening yet');
  const host = ['0.0.0.0', '::'].includes(address.address) ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** Storefront pages worth caching for anonymous visitors: home, catalogue, product pages. */
const cacheablePage = /^\/(products(\/[^/?#]+)?)?(\?.*)?$/;
const signedIn = (cookie: string | undefined) => Boolean(cookie?.includes('mintreu.session_token'));

/**
 * Every GET/HEAD outside /api goes to the Nuxt app, after Fastify has set the security headers
 * and request id, so pages and API share one port, one set of headers and one log. Anonymous
 * catalogue pages come from the page cache.
 */
function mountWeb(app: FastifyInstance, web: WebListener, documentHeaders: Record<string, string>) {
  const pages = createPageCache(web, {
    freshMs: app.env.PAGE_CACHE_SECONDS * 1000,
    staleMs: 10 * 60 * 1000,
    maxEntries: 1000,
    generation: () => app.live.generation,
  });
  app.route({
    method: ['GET', 'HEAD'],
    url: '/*',
    config: { access: 'public' },
    schema: { hide: true },
    async handler(request, reply) {
      if (request.url === '/api' || request.url.startsWith('/api/')) {
        throw new AppError('NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`);
      }
      if (app.env.PAGE_CACHE_SECONDS > 0 && cacheablePage.test(request.url) && !signedIn(request.headers.cookie)) {
        const page = await pages.get(request.url, { host: request.headers.host ?? 'localhost' });
        reply.status(page.status).headers(page.headers).headers(documentHeaders).header('x-cache', page.state).header('vary', 'accept-encoding');
        const accepts = String(request.headers['accept-encoding'] ?? '');
        if (page.brotli && /\bbr\b/.test(accepts)) return reply.header('content-encoding', 'br').send(page.brotli);
        if (page.gzip && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(page.gzip);
        return reply.send(page.body);
      }
      reply.hijack();
      reply.headers(documentHeaders);
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(name, value as string | string[]);
      }
      web(request.raw, reply.raw);
    },
  });
}
