import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from '../modules/auth/auth.js';
import type { Actor, ActorUser, Role } from './actor.js';
import { AppError } from './errors.js';
import type { KillSwitchName } from './live-config.js';

/** Who may call a route. Every route declares one; a route without one fails at start-up. */
export type Access = 'public' | 'customer' | 'support' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    actor: Actor;
  }
  interface FastifyInstance {
    /** Every route's access rule, as registered: for tests and the operator's eye. */
    accessRules: { method: string; url: string; access: Access }[];
  }
}

const rank: Record<Role, number> = { customer: 1, support: 2, admin: 3 };

/** Routes that plugins add for themselves (the API reference page); they are public by nature. */
const pluginOwnedPrefixes = ['/api/docs'];

export function registerGuard(app: FastifyInstance, auth: Auth) {
  const rules: FastifyInstance['accessRules'] = [];
  app.decorate('accessRules', rules);
  app.addHook('onRoute', (route) => {
    let access = (route.config as { access?: Access } | undefined)?.access;
    if (!access && pluginOwnedPrefixes.some((prefix) => route.url.startsWith(prefix))) {
      access = 'public';
      route.config = { ...(route.config ?? {}), access } as typeof route.config;
    }
    if (!access) throw new Error(`Route ${String(route.method)} ${route.url} declares no access rule (config.access)`);
    for (const method of [route.method].flat()) rules.push({ method, url: route.url, access });
  });

  app.decorateRequest('actor', null as unknown as Actor);
  // onRequest: identity is settled before the body is parsed or validated, so anonymous callers
  // learn nothing about a protected route's schema and cannot make us parse large bodies.
  // Public routes (the hot ones) take the synchronous path and never touch the session store.
  app.addHook('onRequest', (request, _reply, done) => {
    request.actor = {
      user: null,
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
      requestId: request.id,
    };
    const access = request.routeOptions.config.access ?? 'public';
    if (access === 'public') return done();
    sessionUser(auth, request).then((user) => {
      if (!user) return done(new AppError('UNAUTHENTICATED', 'Sign in to continue'));
      if (rank[user.role] < rank[access]) return done(new AppError('FORBIDDEN', 'You do not have access to this'));
      request.actor.user = user;
      done();
    }, done);
  });
}

/** The signed-in user of a request (cookie or bearer token), or null. Public routes may call it. */
export async function sessionUser(auth: Auth, request: FastifyRequest): Promise<ActorUser | null> {
  const headers = new Headers();
  for (const name of ['cookie', 'authorization'] as const) {
    const value = request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  if (!headers.has('cookie') && !headers.has('authorization')) return null;
  // Errors propagate: a database outage must answer 503, not pretend the caller is signed out.
  const found = await auth.api.getSession({ headers });
  if (!found || found.user.banned) return null;
  const role = (found.user.role as Role | undefined) ?? 'customer';
  return {
    id: found.user.id,
    name: found.user.name,
    email: found.user.email,
    role: role in rank ? role : 'customer',
    emailVerified: found.user.emailVerified,
  };
}

/** A preHandler that refuses new work while a kill switch is engaged: `preHandler: requireSwitch('downloads')`. */
export function requireSwitch(name: KillSwitchName) {
  return async function killSwitchGate(request: FastifyRequest, _reply: FastifyReply) {
    assertSwitchReleased(request.server, name);
  };
}

export function assertSwitchReleased(app: FastifyInstance, name: KillSwitchName) {
  app.live.assertReleased(name);
}
