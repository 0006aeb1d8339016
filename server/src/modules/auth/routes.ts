import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { send } from '../../lib/http-errors.js';
import { CLIENT_IP_HEADER } from './auth.js';

const codeByStatus: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  422: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
};

/**
 * better-auth speaks Fetch Request/Response; this bridges Fastify to it at /api/auth/* and rewrites
 * its error bodies into the platform's one error shape.
 */
export default async function authRoutes(app: FastifyInstance) {
  app.route({
    method: ['GET', 'POST'],
    url: '/*',
    config: { access: 'public' },
    schema: { hide: true },
    handler: (request, reply) => forward(app, request, reply),
  });
}

async function forward(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === CLIENT_IP_HEADER || name === 'content-length') continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  headers.set(CLIENT_IP_HEADER, request.ip);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  if (hasBody) headers.set('content-type', 'application/json');
  const response = await app.auth.handler(
    new Request(new URL(request.url, app.env.PUBLIC_URL), {
      method: request.method,
      headers,
      body: hasBody ? JSON.stringify(request.body ?? {}) : undefined,
    }),
  );

  for (const cookie of response.headers.getSetCookie()) reply.header('set-cookie', cookie);
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie' || name === 'content-length') continue;
    reply.header(name, value);
  }
  const text = await response.text();
  if (response.status < 400) return reply.status(response.status).send(text === '' ? undefined : text);

  let parsed: { code?: string; message?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    parsed = { message: text };
  }
  if (response.status === 429) {
    reply.header('retry-after', response.headers.get('x-retry-after') ?? '60');
    return send(reply, 429, 'RATE_LIMITED', 'Too many attempts. Please wait a minute and try again.');
  }
  const code = response.status >= 500 ? 'INTERNAL' : parsed.code || codeByStatus[response.status] || 'BAD_REQUEST';
  const message = response.status >= 500 ? 'Internal server error' : parsed.message || response.statusText;
  return send(reply, response.status >= 500 ? 500 : response.status, code, message);
}

