import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, eventually, type TestApp } from '../../../test/helpers.js';
import { startFakeGit, type FakeGit } from '../../../test/support/fake-git.js';
import { startFakeS3, type FakeS3 } from '../../../test/support/fake-s3.js';
import { createProduct, generatedBytes, multipartBody } from '../../../test/support/uploads.js';
import { productSources } from '../catalog/tables.js';
import { downloadLogs, downloadTokens } from './tables.js';

/**
 * Redeeming a link: local files streamed with ranges, validators and constant memory, a client that leaves
 * mid-stream, a file that went missing; and each provider's redirect or pass-through against local servers
 * speaking its protocol (S3, GitHub's and GitLab's APIs, a plain web server), with secrets kept out of responses.
 */
let dir: string;
let git: FakeGit;
let s3: FakeS3;
let t: TestApp & { dropDatabase(): Promise<void> };
let s3App: TestApp;
let admin: Awaited<ReturnType<typeof asAdmin>>;
let base: string;

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const tokenHash = (url: string) => sha(url.split('/').at(-1)!);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mintreu-deliver-'));
  git = await startFakeGit();
  s3 = await startFakeS3();
  const common = { ALLOW_PRIVATE_SOURCE_HOSTS: 'true', GITHUB_API_URL: git.githubUrl, GITLAB_API_URL: git.gitlabUrl };
  t = await createTestApp({ env: { ...common, STORAGE_DIR: dir } });
  s3App = await createTestApp({
    url: t.database.url,
    env: {
      ...common, STORAGE_DRIVER: 's3', S3_BUCKET: 'files', S3_ENDPOINT: s3.url, S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'AKIAFAKE', S3_SECRET_ACCESS_KEY: 's3-secret-key-never-shown', DOWNLOAD_REDIRECT_TTL_SECONDS: '60',
    },
  });
  admin = await asAdmin(t.app);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await s3App.close();
  await t.close();
  await t.dropDatabase();
  await git.close();
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

async function freebieWith(content: Buffer, fileName = 'tool.zip', app = t.app) {
  const product = await createProduct(app, admin.headers, { type: 'freebie', price: 0 });
  const body = multipartBody({ name: 'Build', version: '2.1.0' }, { fileName, content });
  const response = await app.inject({
    method: 'POST', url: `/api/admin/products/${product.id}/sources/upload`, headers: { ...admin.headers, ...body.headers }, payload: body.payload,
  });
  expect(response.statusCode, response.body).toBe(201);
  return { ...product, sourceId: (response.json() as { id: string }).id };
}

async function remoteFreebie(source: Record<string, unknown>) {
  const product = await createProduct(t.app, admin.headers, { type: 'freebie', price: 0 });
  const response = await t.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/sources`, headers: admin.headers, payload: source });
  expect(response.statusCode, response.body).toBe(201);
  return { ...product, sourceId: (response.json() as { id: string }).id };
}

async function linkFor(slug: string, app = t.app) {
  const response = await app.inject({ method: 'POST', url: `/api/products/${slug}/download`, payload: {} });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { downloadUrl: string; fileName: string; fileSize: number; sha256: string };
}

const get = (url: string, headers: Record<string, string> = {}, app = t.app) =>
  app.inject({ method: 'GET', url: new URL(url).pathname, headers });

const usesOf = async (url: string) =>
  (await t.app.db.select({ uses: downloadTokens.uses }).from(downloadTokens).where(eq(downloadTokens.tokenHash, tokenHash(url))))[0]!.uses;

describe('local files', () => {
  const content = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
  let product: { slug: string; id: string; sourceId: string };
  beforeAll(async () => {
    product = await freebieWith(content, 'Tool Kit 2.zip');
  });

  it('the whole file with its length, type, disposition, validators and no caching', async () => {
    const link = await linkFor(product.slug);
    const response = await get(link.downloadUrl);
    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(content)).toBe(true);
    expect(response.headers).toMatchObject({
      'content-length': String(content.length),
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="Tool Kit 2.zip"; filename*=UTF-8''Tool%20Kit%202.zip`,
      'accept-ranges': 'bytes',
      'cache-control': 'private, no-store',
      etag: expect.stringMatching(/^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$/),
      'last-modified': expect.any(String),
    });
  });

  it('ranges: from-to, open-ended and suffix (206 with Content-Range); If-Range decides; 416 past the end', async () => {
    const link = await linkFor(product.slug);
    const cases: [string, number, string, string | undefined][] = [
      ['bytes=0-9', 206, '0123456789', 'bytes 0-9/36'],
      ['bytes=30-', 206, 'uvwxyz', 'bytes 30-35/36'],
      ['bytes=-4', 206, 'wxyz', 'bytes 32-35/36'],
      ['bytes=34-99', 206, 'yz', 'bytes 34-35/36'],
      ['bytes=5-2', 200, content.toString(), undefined], // invalid: ignored
      ['items=0-3', 200, content.toString(), undefined], // another unit: ignored
      ['bytes=0-1,4-5', 200, content.toString(), undefined], // several ranges: the whole file
      ['bytes=abc', 200, content.toString(), undefined], // malformed: ignored
    ];
    for (const [range, status, body, contentRange] of cases) {
      const response = await get(link.downloadUrl, { range });
      expect(response.statusCode, range).toBe(status);
      expect(response.body, range).toBe(body);
      expect(response.headers['content-length'], range).toBe(String(Buffer.byteLength(body)));
      expect(response.headers['content-range'], range).toBe(contentRange);
    }
    const beyond = await get(link.downloadUrl, { range: 'bytes=36-' });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */36');

    const fresh = await linkFor(product.slug);
    const first = await get(fresh.downloadUrl);
    const etag = String(first.headers.etag);
    expect((await get(fresh.downloadUrl, { range: 'bytes=10-', 'if-range': etag })).statusCode).toBe(206);
    expect((await get(fresh.downloadUrl, { range: 'bytes=10-', 'if-range': String(first.headers['last-modified']) })).statusCode).toBe(206);
    const changed = await get(fresh.downloadUrl, { range: 'bytes=10-', 'if-range': '"something-else"' });
    expect(changed.statusCode).toBe(200);
    expect(changed.body).toBe(content.toString());
    expect((await get(fresh.downloadUrl, { range: 'bytes=10-', 'if-range': `W/${etag}` })).statusCode).toBe(200);
  });

  it('HEAD answers the headers without using the link or logging', async () => {
    const link = await linkFor(product.slug);
    const head = await t.app.inject({ method: 'HEAD', url: new URL(link.downloadUrl).pathname, headers: { range: 'bytes=0-4' } });
    expect(head.statusCode).toBe(206);
    expect(head.headers['content-length']).toBe('5');
    expect(head.body).toBe('');
    expect(await usesOf(link.downloadUrl)).toBe(0);
  });

  it('an empty file is a 200 with no bytes', async () => {
    // Uploads refuse empty files; a source can still point at one already in storage.
    mkdirSync(join(dir, 'manual'), { recursive: true });
    writeFileSync(join(dir, 'manual', 'empty.txt'), '');
    const empty = await remoteFreebie({ provider: 'local', name: 'Empty', sourceUrl: 'manual/empty.txt' });
    const response = await get((await linkFor(empty.slug)).downloadUrl);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-length']).toBe('0');
  });

  it('a file that went missing: 502, logged as failed, the link not used; it works once the file is back', async () => {
    const doomed = await freebieWith(Buffer.from('soon gone'), 'gone.zip');
    const [source] = await t.app.db.select().from(productSources).where(eq(productSources.id, doomed.sourceId));
    const link = await linkFor(doomed.slug);
    const path = join(dir, source!.sourceUrl);
    unlinkSync(path);
    const response = await get(link.downloadUrl);
    expect(response.statusCode).toBe(502);
    expect(response.json().error.code).toBe('SOURCE_UNAVAILABLE');
    expect(response.body).not.toContain(source!.sourceUrl);
    expect(await usesOf(link.downloadUrl)).toBe(0);
    const [row] = await t.app.db.select({ id: downloadTokens.id }).from(downloadTokens).where(eq(downloadTokens.tokenHash, tokenHash(link.downloadUrl)));
    const logs = await t.app.db.select().from(downloadLogs).where(eq(downloadLogs.tokenId, row!.id));
    expect(logs.map((l) => [l.status, l.reason])).toContainEqual(['failed', 'SOURCE_MISSING']);
    writeFileSync(path, 'back again');
    const retried = await get(link.downloadUrl);
    expect(retried.statusCode).toBe(200);
    expect(retried.body).toBe('back again');
  });

  it('over real HTTP: a resume with curl -C semantics (Range from what was saved) gives the exact file', async () => {
    const big = generatedBytes(3 * 1024 * 1024 + 17, 7);
    const chunks: Buffer[] = [];
    for await (const chunk of big.stream()) chunks.push(chunk as Buffer);
    const file = await freebieWith(Buffer.concat(chunks), 'big.bin');
    const link = await linkFor(file.slug);
    const url = `${base}${new URL(link.downloadUrl).pathname}`;
    // First attempt: stop after about a megabyte.
    const saved: Buffer[] = [];
    await new Promise<void>((resolve) => {
      const req = httpRequest(url, (res) => {
        let got = 0;
        res.on('data', (chunk: Buffer) => {
          saved.push(chunk);
          got += chunk.length;
          if (got > 1024 * 1024) {
            req.destroy();
            resolve();
          }
        });
        res.on('error', () => {});
      });
      req.on('error', () => {});
      req.on('close', () => resolve());
      req.end();
    });
    const have = Buffer.concat(saved).length;
    const rest = await fetch(url, { headers: { range: `bytes=${have}-` } });
    expect(rest.status).toBe(206);
    const whole = Buffer.concat([...saved, Buffer.from(await rest.arrayBuffer())]);
    expect(sha(whole)).toBe(big.sha256);
    expect(sha(whole)).toBe(link.sha256);
  });
});

/** Open file descriptors of this process that point at `path`. */
const fdsOn = (path: string) => readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === path;
  } catch {
    return false;
  }
});

describe('a client that disconnects mid-stream', () => {
  it('leaves no open file handle, and the log says how far it got', async () => {
    const big = generatedBytes(8 * 1024 * 1024, 3);
    const chunks: Buffer[] = [];
    for await (const chunk of big.stream()) chunks.push(chunk as Buffer);
    const file = await freebieWith(Buffer.concat(chunks), 'leak-check.bin');
    const [source] = await t.app.db.select().from(productSources).where(eq(productSources.id, file.sourceId));
    const path = join(dir, source!.sourceUrl);
    const link = await linkFor(file.slug);

    let sawOpen = false;
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${base}${new URL(link.downloadUrl).pathname}`, (res: IncomingMessage) => {
        res.once('data', () => {
          sawOpen = fdsOn(path).length > 0; // the server holds the file while it streams
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
    expect(sawOpen).toBe(true);
    expect(await eventually(() => fdsOn(path).length === 0, 5000)).toBe(true);

    const [row] = await t.app.db.select({ id: downloadTokens.id }).from(downloadTokens).where(eq(downloadTokens.tokenHash, tokenHash(link.downloadUrl)));
    const redeemed = async () => (await t.app.db.select().from(downloadLogs).where(eq(downloadLogs.tokenId, row!.id))).find((l) => l.event === 'redeem');
    expect(await eventually(async () => (await redeemed())?.status === 'failed', 5000)).toBe(true);
    const log = await redeemed();
    expect(log).toMatchObject({ status: 'failed', reason: 'INTERRUPTED', bytesExpected: 8 * 1024 * 1024 });
    expect(log!.bytesSent).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('providers', () => {
  it('S3: a 302 to a presigned URL of short life, never the key or the credentials in anything else', async () => {
    const product = await freebieWith(Buffer.from('on s3'), 'cloud.zip', s3App.app);
    const link = await linkFor(product.slug, s3App.app);
    const response = await get(link.downloadUrl, {}, s3App.app);
    expect(response.statusCode).toBe(302);
    const location = new URL(String(response.headers.location));
    expect(location.origin).toBe(s3.url);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(location.searchParams.get('response-content-disposition')).toContain('cloud.zip');
    expect(response.body + JSON.stringify(link)).not.toContain('s3-secret-key-never-shown');
    // The object is gone: 502 and the link stays unused.
    s3.objects.clear();
    const again = await linkFor(product.slug, s3App.app);
    expect((await get(again.downloadUrl, {}, s3App.app)).statusCode).toBe(502);
    expect(await usesOf(again.downloadUrl)).toBe(0);
  });

  it('GitHub: the asset API with the stored token answers with a short-lived URL, which is where the client goes', async () => {
    git.github.set('acme/private-app', [{ tag: 'v3.0.0', assets: [{ id: 301, name: 'app-3.0.0.zip', size: 12 }] }]);
    git.privateRepos.set('acme/private-app', 'ghp_stored_token_secret');
    const product = await remoteFreebie({
      provider: 'github', name: 'App', sourceUrl: 'https://github.com/acme/private-app/releases/tag/v3.0.0', token: 'ghp_stored_token_secret', fileName: 'app-3.0.0.zip',
    });
    const link = await linkFor(product.slug);
    git.requests.length = 0;
    git.githubAssetMode = 'redirect';
    const response = await get(link.downloadUrl);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe(`${git.baseUrl}/objects/github/301?X-Amz-Expires=300&X-Amz-Signature=fake`);
    const assetRequest = git.requests.find((r) => r.url.endsWith('/releases/assets/301'))!;
    expect(assetRequest.headers).toMatchObject({ accept: 'application/octet-stream', authorization: 'Bearer ghp_stored_token_secret' });
    expect(JSON.stringify(response.headers) + response.body + JSON.stringify(link)).not.toContain('ghp_stored_token_secret');
    expect(JSON.stringify(response.headers)).not.toContain('github.com/acme');

    // A GitHub that answers with the bytes themselves: they pass through, the token stays here.
    git.githubAssetMode = 'stream';
    git.assetBodies.set('301', Buffer.from('asset bytes!'));
    const streamed = await get((await linkFor(product.slug)).downloadUrl);
    expect(streamed.statusCode).toBe(200);
    expect(streamed.body).toBe('asset bytes!');
    expect(streamed.headers['content-disposition']).toContain('app-3.0.0.zip');
    expect(JSON.stringify(streamed.headers)).not.toContain('ghp_stored_token_secret');
    git.githubAssetMode = 'redirect';

    // GitHub refuses (the token was revoked there): 502, link unused.
    git.failWith = { status: 401 };
    const refusedLink = await linkFor(product.slug);
    const refused = await get(refusedLink.downloadUrl);
    git.failWith = null;
    expect(refused.statusCode).toBe(502);
    expect(await usesOf(refusedLink.downloadUrl)).toBe(0);
  });

  it('GitLab: the token goes in the PRIVATE-TOKEN header to the instance only, never into a URL', async () => {
    const fileUrl = `${git.baseUrl}/gitlab-files/acme/secret-app/app.tar.gz`;
    git.gitlab.set('acme/secret-app', [{ tag: 'v1.4', links: [{ name: 'app.tar.gz', url: fileUrl }] }]);
    git.privateRepos.set('acme/secret-app', 'glpat-stored-secret');
    git.privateFiles.set('acme/secret-app/app.tar.gz', 'glpat-stored-secret');
    git.assetBodies.set('acme/secret-app/app.tar.gz', Buffer.from('tarball'));
    const product = await remoteFreebie({
      provider: 'gitlab', name: 'App', sourceUrl: 'https://gitlab.com/acme/secret-app/-/releases/v1.4', token: 'glpat-stored-secret', fileName: 'app.tar.gz',
    });
    git.requests.length = 0;
    const response = await get((await linkFor(product.slug)).downloadUrl);
    expect(response.statusCode).toBe(302);
    const location = String(response.headers.location);
    expect(location).toBe(`${git.baseUrl}/objects/gitlab/${encodeURIComponent('acme/secret-app/app.tar.gz')}?expires=300&signature=fake`);
    expect(location).not.toContain('private_token');
    expect(JSON.stringify(response.headers) + response.body).not.toContain('glpat-stored-secret');
    const fileRequest = git.requests.find((r) => r.url.startsWith('/gitlab-files/'))!;
    expect(fileRequest.headers['private-token']).toBe('glpat-stored-secret');
    expect(fileRequest.url).not.toContain('private_token');
  });

  it('GitLab: a release link on another host is fetched without the token', async () => {
    const elsewhere = await startFakeGit(); // another server: "not the GitLab instance"
    try {
      const fileUrl = `${elsewhere.baseUrl}/gitlab-files/mirror/app.zip`;
      elsewhere.assetBodies.set('mirror/app.zip', Buffer.from('mirror'));
      git.gitlab.set('acme/mirrored', [{ tag: 'v2', links: [{ name: 'app.zip', url: fileUrl }] }]);
      git.privateRepos.set('acme/mirrored', 'glpat-mirror-secret');
      const product = await remoteFreebie({
        provider: 'gitlab', name: 'App', sourceUrl: 'https://gitlab.com/acme/mirrored/-/releases/v2', token: 'glpat-mirror-secret', fileName: 'app.zip',
      });
      const response = await get((await linkFor(product.slug)).downloadUrl);
      expect(response.statusCode).toBe(302);
      expect(elsewhere.requests).toHaveLength(1);
      expect(elsewhere.requests[0]!.headers['private-token']).toBeUndefined();
    } finally {
      await elsewhere.close();
    }
  });

  it('direct URL: a 302 to it; it is never in the initiate answer or the public source list', async () => {
    const target = `${git.baseUrl}/objects/direct/file.zip?sig=abc`;
    const product = await remoteFreebie({ provider: 'direct_url', name: 'Mirror', sourceUrl: target, fileName: 'file.zip', fileSize: 10 });
    const initiate = await t.app.inject({ method: 'POST', url: `/api/products/${product.slug}/download`, payload: {} });
    expect(initiate.body).not.toContain(git.baseUrl);
    const sources = await t.app.inject({ method: 'GET', url: `/api/products/${product.slug}/sources` });
    expect(sources.body).not.toContain(git.baseUrl);
    const response = await get(initiate.json().downloadUrl);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe(target);
    const [row] = await t.app.db.select({ id: downloadTokens.id }).from(downloadTokens).where(eq(downloadTokens.tokenHash, tokenHash(initiate.json().downloadUrl)));
    const logs = await t.app.db.select().from(downloadLogs).where(eq(downloadLogs.tokenId, row!.id));
    expect(logs.map((l) => [l.event, l.status, l.delivery])).toContainEqual(['redeem', 'started', 'redirect']);
  });
});

describe('behind nginx (DOWNLOAD_ACCEL_REDIRECT_PREFIX)', () => {
  it('hands local files over with X-Accel-Redirect and no body', async () => {
    const accel = await createTestApp({ url: t.database.url, env: { STORAGE_DIR: dir, DOWNLOAD_ACCEL_REDIRECT_PREFIX: '/_protected/' } });
    try {
      const product = await freebieWith(Buffer.from('via nginx'), 'n.zip');
      const [source] = await t.app.db.select().from(productSources).where(eq(productSources.id, product.sourceId));
      const link = await linkFor(product.slug, accel.app);
      const response = await get(link.downloadUrl, {}, accel.app);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-accel-redirect']).toBe(`/_protected/${source!.sourceUrl}`);
      expect(response.headers['content-disposition']).toContain('n.zip');
      expect(response.body).toBe('');
    } finally {
      await accel.close();
    }
  });
});
