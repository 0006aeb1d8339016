// The baseline: a bare Fastify hello-world on the same machine, in its own process.
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

const stop = () => app.close().then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
