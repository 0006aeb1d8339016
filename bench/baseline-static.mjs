// The static-file baseline: bare Fastify serving the files of STATIC_DIR from disk, in its own process.
// With @fastify/static when it can be loaded (a root devDependency); otherwise a plain route that reads the file
// from disk on every request and sends it with reply.type('text/html'). The first line printed says which.
// Started by bench/run.mjs with PORT, HOST and STATIC_DIR in the environment.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, normalize } from 'node:path';

const require = createRequire(import.meta.url);
const fromServer = createRequire(new URL('../server/package.json', import.meta.url));

async function load(name) {
  try {
    return { module: (await import(name)).default, version: require(`${name}/package.json`).version };
  } catch {
    // a dependency of the server workspace that is not hoisted
    const path = fromServer.resolve(name);
    return { module: (await import(path)).default, version: fromServer(`${name}/package.json`).version };
  }
}

const root = process.env.STATIC_DIR;
if (!root) throw new Error('STATIC_DIR is not set');
const { module: Fastify } = await load('fastify');
const app = Fastify({ logger: false });

let mode;
try {
  if (process.env.BASELINE_STATIC_MODE === 'route') throw new Error('plain route requested');
  const { module: fastifyStatic, version } = await load('@fastify/static');
  await app.register(fastifyStatic, { root, index: false });
  mode = `@fastify/static ${version}`;
} catch {
  app.get('/*', async (request, reply) => {
    const path = normalize(join(root, decodeURIComponent(request.url.split('?')[0])));
    if (!path.startsWith(root)) return reply.code(404).send();
    return reply.type('text/html').send(await readFile(path));
  });
  mode = 'plain Fastify route, file read from disk per request';
}
console.log(`baseline-static: ${mode}`);

const stop = () => app.close().then(() => process.exit(0), () => process.exit(1));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
