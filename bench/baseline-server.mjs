// The baseline: a bare Fastify on the same machine, in its own process: hello-world, and a sized JSON answer.
// Started by bench/run.mjs with PORT (and HOST) in the environment.
import { createRequire } from 'node:module';

async function loadFastify() {
  try {
    return (await import('fastify')).default;
  } catch {
    // fastify is a dependency of the server workspace; resolve it from there if it is not hoisted.
    const require = createRequire(new URL('../server/package.json', import.meta.url));
    return (await import(require.resolve('fastify'))).default;
  }
}

const Fastify = await loadFastify();
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

// A JSON answer of a given size to a parsed JSON body: the bare framework's share of a POST API call
// (the licence scenario asks for exactly the size of the platform's answer).
const bodies = new Map();
// GET too: the bench checks a baseline is up with a GET of the path it will measure.
app.route({ method: ['GET', 'POST'], url: '/json', handler: async (request, reply) => {
  const bytes = Math.min(Math.max(Number(request.query.bytes) || 2, 2), 1 << 20);
  let body = bodies.get(bytes);
  if (!body) {
    body = JSON.stringify({ pad: '' });
    body = JSON.stringify({ pad: 'x'.repeat(Math.max(0, bytes - body.length)) });
    bodies.set(bytes, body);
  }
  reply.type('application/json').send(body);
} });

const stop = () => app.close().then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
