// The gateway's reference: the least a Node.js reverse proxy can do, with the client the gateway uses (undici) and
// none of its work (no key, limits, metering or header filtering). Started by bench/run.mjs with PORT, HOST and
// UPSTREAM in the environment. It shows how much of the gap to the upstream is the cost of being a proxy at all.
import http from 'node:http';
import { createRequire } from 'node:module';

// undici is a dependency of the server workspace (version 7, for Node 20); resolve it from there.
const require = createRequire(new URL('../server/package.json', import.meta.url));
const { Pool } = require('undici');

const upstream = new URL(process.env.UPSTREAM);
const pool = new Pool(upstream.origin, { connections: 256 });

http.createServer((req, res) => {
  pool.request({ path: req.url, method: req.method, headers: { host: upstream.host } }).then(async (answer) => {
    res.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] ?? 'application/octet-stream' });
    for await (const chunk of answer.body) res.write(chunk);
    res.end();
  }, () => {
    res.statusCode = 502;
    res.end();
  });
}).listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');

const stop = () => pool.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
