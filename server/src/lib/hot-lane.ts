import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, FastifyServerOptions, HTTPMethods, RawServerDefault } from 'fastify';
import type { z } from 'zod';
import { AppError } from './errors.js';
import { describeError } from './http-errors.js';

/** What a hot handler knows of its request beyond Node's own objects. */
export interface HotContext {
  id: string;
  ip: string;
  protocol: 'http' | 'https';
}

/** A handler written against Node's request and response: it answers the request itself (`HotLane.json`, …). */
export type HotHandler = (req: IncomingMessage, res: ServerResponse, ctx: HotContext) => Promise<unknown>;

const requestIdPattern = /^[A-Za-z0-9._:-]{1,64}$/;

/** Keep a caller's request id when it is sane, so logs join up across services. Fastify uses this one too. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && requestIdPattern.test(given) ? given : crypto.randomUUID();
}

/**
 * The hot lane: the few public endpoints that answer thousands of times a second (licence checks, the API gateway,
 * catalogue browsing, the status every page polls) are served from Node's `request` event before Fastify routes
 * the request.
 * Fastify's request and reply objects, its hook chain, child logger and schema compilers cost more than the work
 * those endpoints do (decision 0011).
 *
 * There is one implementation per endpoint: Fastify registers the same handler as an ordinary route (`route()`),
 * for `app.inject`, the OpenAPI document and any spelling the lane's exact match leaves to the router (a trailing
 * slash, say). Both ways give the same security headers, request id, client address, error shape and metrics.
 */
export class HotLane {
  private readonly exact = new Map<string, { route: string; handler: HotHandler }>();
  private readonly prefixes: { prefix: string; route: string; methods: Set<string>; handler: HotHandler }[] = [];
  private readonly flatHeaders: string[];
  private readonly clientIp: (req: IncomingMessage) => string;
  /** Set once Fastify exists: the app's logger and its request-duration histogram. */
  log: Pick<FastifyBaseLogger, 'warn' | 'error'> | null = null;
  observe: (method: string, route: string, status: number, seconds: number) => void = () => {};

  constructor(options: { securityHeaders: Record<string, string>; trustProxy: boolean }) {
    this.flatHeaders = Object.entries(options.securityHeaders).flat();
    // As Fastify's `request.ip`: the socket's address, or with TRUST_PROXY the client X-Forwarded-For names.
    this.clientIp = options.trustProxy
      ? (req) => proxyAddr(req, () => true)
      : (req) => req.socket.remoteAddress ?? '';
  }

  /** Serve `METHOD path` (exact, without a query) in the lane; `route` is its pattern for metrics. */
  add(method: string, path: string, handler: HotHandler, route = path) {
    this.exact.set(`${method} ${path}`, { route, handler });
  }

  /** Serve every URL under `prefix` for these methods in the lane (the gateway registers its Fastify routes itself). */
  addPrefix(methods: readonly string[], prefix: string, handler: HotHandler, route: string) {
    this.prefixes.push({ prefix, route, methods: new Set(methods), handler });
  }

  /** Fastify's `serverFactory`: Node's server, with the lane in front of Fastify's router. */
  serverFactory = (fastify: (req: IncomingMessage, res: ServerResponse) => void, options: FastifyServerOptions): RawServerDefault => {
    const server: Server = createServer((req, res) => {
      const match = this.match(req);
      if (!match) return fastify(req, res);
      const started = performance.now();
      const ctx: HotContext = { id: requestIdOf(req), ip: this.clientIp(req), protocol: 'http' };
      res.once('finish', () => this.observe(req.method!, match.route, res.statusCode, (performance.now() - started) / 1000));
      this.run(match.handler, req, res, ctx);
    });
    // What Fastify sets on a server it makes itself.
    server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
    server.requestTimeout = options.requestTimeout ?? 0;
    server.setTimeout(options.connectionTimeout ?? 0);
    return server;
  };

  /** A Fastify route handler for the same endpoint: Fastify's metrics hook counts it, the handler answers. */
  route(handler: HotHandler) {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      await this.run(handler, request.raw, reply.raw, { id: request.id, ip: request.ip, protocol: request.protocol });
    };
  }

  private match(req: IncomingMessage) {
    const url = req.url!;
    const query = url.indexOf('?');
    const found = this.exact.get(`${req.method} ${query < 0 ? url : url.slice(0, query)}`);
    if (found) return found;
    for (const entry of this.prefixes) if (url.startsWith(entry.prefix) && entry.methods.has(req.method!)) return entry;
    return undefined;
  }

  private async run(handler: HotHandler, req: IncomingMessage, res: ServerResponse, ctx: HotContext) {
    try {
      await handler(req, res, ctx);
    } catch (error) {
      if (res.headersSent) {
        this.log?.warn({ err: error, requestId: ctx.id }, 'hot lane: failed after the answer began');
        res.destroy();
        return;
      }
      const { status, body, headers } = describeError(error, ctx.id, (level, message) => this.log?.[level]({ err: error, requestId: ctx.id }, message));
      this.json(res, ctx, status, body, headers);
    }
  }

  /** The security headers and request id every API answer carries, as a new flat [name, value, …] list to add to. */
  headersFor(ctx: HotContext): string[] {
    return [...this.flatHeaders, 'x-request-id', ctx.id];
  }

  /** Answer with JSON (`body` may already be serialised, as text or bytes). */
  json(res: ServerResponse, ctx: HotContext, status: number, body: unknown, headers?: Record<string, string>) {
    const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    // Node's flat [name, value, …] form: no header object is built when nothing was set before.
    const list = [...this.flatHeaders, 'x-request-id', ctx.id, 'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(text))];
    if (headers) for (const name in headers) list.push(name, headers[name]!);
    res.writeHead(status, list);
    res.end(text);
  }
}

/**
 * A request's body, read whole up to `limit` bytes: `null` when there is none. Throws the contract's 413 past the
 * limit, keeping nothing more of it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(size === 0 ? null : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

const tooLarge = () => new AppError('PAYLOAD_TOO_LARGE', 'The body is too large');

/**
 * Registers `handler` for `method url` (relative to `fastify`'s prefix) in the hot lane and as a public Fastify route.
 * The route leaves the body unread and the query unchecked for the handler, which does both; its schema documents
 * them in the API document.
 */
export async function registerHot(fastify: FastifyInstance, options: { method: HTTPMethods; url: string; schema: FastifySchema; handler: HotHandler }) {
  fastify.hotLane.add(options.method, `${fastify.prefix}${options.url}`, options.handler);
  await fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.setValidatorCompiler(() => (value) => ({ value }));
    scope.route({ method: options.method, url: options.url, config: { access: 'public' }, schema: options.schema, handler: fastify.hotLane.route(options.handler) });
  });
}

/** zod's complaints in the contract's shape, with the paths Fastify's validator gives (`body.key`, `querystring.page`). */
export function validationError(issues: z.core.$ZodIssue[], where: 'body' | 'querystring'): AppError {
  return new AppError('VALIDATION_FAILED', 'The request is not valid', {
    details: issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message })),
  });
}

/** A URL's query as Fastify gives it: a repeated name becomes an array. */
export function parseQuery(url: string): Record<string, string | string[]> {
  const at = url.indexOf('?');
  const query: Record<string, string | string[]> = Object.create(null);
  if (at < 0) return query;
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    const seen = query[name];
    query[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
}
