import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../adapters/storage/index.js';
import { asAdmin, createTestApp, eventually, type TestApp } from '../../../test/helpers.js';
import { startFakeS3 } from '../../../test/support/fake-s3.js';
import { createProduct, filesUnder, generatedBytes, multipartBody, multipartFrame } from '../../../test/support/uploads.js';
import { productSources } from './tables.js';

const MiB = 1024 * 1024;
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('uploading a source file', () => {
  let dir: string;
  let t: TestApp & { dropDatabase(): Promise<void> };
  /** Same database and directory, with MAX_UPLOAD_BYTES=1024. */
  let small: TestApp;
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  let product: { id: string; slug: string };

  const upload = (productId: string, fields: Record<string, string>, file?: { fileName: string; content: Buffer }, app = t.app) => {
    const body = multipartBody(fields, file);
    return app.inject({ method: 'POST', url: `/api/admin/products/${productId}/sources/upload`, headers: { ...admin.headers, ...body.headers }, payload: body.payload });
  };
  const rowsOf = (productId: string) => t.app.db.select().from(productSources).where(eq(productSources.productId, productId));
  const filesOf = (productId: string) => filesUnder(join(dir, 'products', productId));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mintreu-upload-'));
    t = await createTestApp({ env: { STORAGE_DIR: dir } });
    small = await createTestApp({ url: t.database.url, env: { STORAGE_DIR: dir, MAX_UPLOAD_BYTES: '1024' } });
    admin = await asAdmin(t.app);
    product = await createProduct(t.app, admin.headers);
  });
  afterAll(async () => {
    await small.close();
    await t.close();
    await t.dropDatabase();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes the uploaded files with their product', async () => {
    const doomed = await createProduct(t.app, admin.headers);
    await upload(doomed.id, { name: 'Build' }, { fileName: 'build.zip', content: Buffer.from('PK doomed') });
    expect(filesOf(doomed.id)).toHaveLength(1);
    const response = await t.app.inject({ method: 'DELETE', url: `/api/admin/products/${doomed.id}`, headers: admin.headers });
    expect(response.statusCode).toBe(204);
    expect(filesOf(doomed.id)).toEqual([]);
    expect(await rowsOf(doomed.id)).toEqual([]);
  });

  it('stores the file, and creates a source with its name, size and SHA-256, audited', async () => {
    const content = Buffer.from('PK\u0003\u0004 pretend zip contents');
    const response = await upload(product.id, { name: 'Main release', version: '1.0.0', description: 'All platforms' }, { fileName: 'My Tool 1.0.zip', content });
    expect(response.statusCode, response.body).toBe(201);
    const source = response.json();
    expect(source).toMatchObject({
      id: expect.stringMatching(/^src_/), provider: 'local', name: 'Main release', version: '1.0.0', description: 'All platforms',
      fileName: 'My Tool 1.0.zip', fileSize: content.length, sha256: sha(content), isPrimary: true, isActive: true,
      lastVerifiedAt: expect.any(String), hasToken: false,
    });
    const [row] = await rowsOf(product.id);
    expect(row!.sourceUrl).toBe(`products/${product.id}/${source.id}/My_Tool_1.0.zip`);
    expect(readFileSync(join(dir, row!.sourceUrl))).toEqual(content);

    const audit = await t.app.inject({ method: 'GET', url: `/api/admin/audit?action=source.upload&entityId=${source.id}`, headers: admin.headers });
    expect(audit.json().data).toEqual([expect.objectContaining({ action: 'source.upload', actor: expect.objectContaining({ id: admin.userId }), after: expect.objectContaining({ sha256: sha(content), fileSize: content.length }) })]);

    // Fields are optional but typed; a second upload is not primary unless asked.
    const second = await upload(product.id, { name: 'Docs', isPrimary: 'false' }, { fileName: 'docs.pdf', content: Buffer.from('%PDF') });
    expect(second.json()).toMatchObject({ isPrimary: false, fileName: 'docs.pdf' });
  });

  it('deletes the stored file with its source', async () => {
    const p = await createProduct(t.app, admin.headers);
    const source = (await upload(p.id, { name: 'Temp' }, { fileName: 'temp.bin', content: Buffer.from('temp') })).json();
    expect(filesOf(p.id)).toHaveLength(1);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/admin/products/${p.id}/sources/${source.id}`, headers: admin.headers })).statusCode).toBe(204);
    expect(filesOf(p.id)).toEqual([]);
  });

  it('keeps an uploaded file that another source was pointed at when its own source goes', async () => {
    const p = await createProduct(t.app, admin.headers);
    const owner = (await upload(p.id, { name: 'Owner' }, { fileName: 'shared.bin', content: Buffer.from('shared') })).json();
    const [row] = await rowsOf(p.id);
    const borrower = await t.app.inject({ method: 'POST', url: `/api/admin/products/${p.id}/sources`, headers: admin.headers, payload: { provider: 'local', name: 'Borrower', sourceUrl: row!.sourceUrl } });
    expect(borrower.statusCode).toBe(201);
    await t.app.inject({ method: 'DELETE', url: `/api/admin/products/${p.id}/sources/${owner.id}`, headers: admin.headers });
    expect(filesOf(p.id)).toHaveLength(1);
    const verified = await t.app.inject({ method: 'POST', url: `/api/admin/products/${p.id}/sources/${borrower.json().id}/verify`, headers: admin.headers });
    expect(verified.json().lastVerifyError).toBeNull();
  });

  it('keeps neither file nor row when the form is invalid', async () => {
    const p = await createProduct(t.app, admin.headers);
    const content = Buffer.from('data');
    const cases: [Record<string, string>, { fileName: string; content: Buffer } | undefined, number, string][] = [
      [{ name: 'No file' }, undefined, 400, 'body.file'],
      [{}, { fileName: 'a.bin', content }, 400, 'body.name'],
      [{ name: 'x', isPrimary: 'maybe' }, { fileName: 'a.bin', content }, 400, 'body.isPrimary'],
      [{ name: 'x', sourceUrl: '/etc/passwd' }, { fileName: 'a.bin', content }, 400, 'body.sourceUrl'],
      [{ name: 'Empty' }, { fileName: 'empty.bin', content: Buffer.alloc(0) }, 400, 'body.file'],
    ];
    for (const [fields, file, status, path] of cases) {
      const response = await upload(p.id, fields, file);
      expect(response.statusCode, JSON.stringify(fields)).toBe(status);
      expect(response.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const wrongField = multipartBody({ name: 'x' }, { name: 'attachment', fileName: 'a.bin', content });
    const wrong = await t.app.inject({ method: 'POST', url: `/api/admin/products/${p.id}/sources/upload`, headers: { ...admin.headers, ...wrongField.headers }, payload: wrongField.payload });
    expect(wrong.statusCode).toBe(400);
    expect(await rowsOf(p.id)).toEqual([]);
    expect(filesOf(p.id)).toEqual([]);
  });

  it('answers 415 to a body that is not multipart, and 404 for a missing product before reading the body', async () => {
    const json = await t.app.inject({ method: 'POST', url: `/api/admin/products/${product.id}/sources/upload`, headers: admin.headers, payload: { name: 'x' } });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const missing = await upload('prd_missing', { name: 'x' }, { fileName: 'a.bin', content: Buffer.from('x') });
    expect(missing.statusCode).toBe(404);
    // The body was never read: the connection is closed rather than drained.
    expect(missing.headers.connection).toBe('close');
    expect(json.headers.connection).toBe('close');
  });

  it('refuses a file over MAX_UPLOAD_BYTES with 413, removing what was stored', async () => {
    const p = await createProduct(t.app, admin.headers);
    const over = await upload(p.id, { name: 'Too big' }, { fileName: 'big.bin', content: Buffer.alloc(1025, 1) }, small.app);
    expect(over.statusCode).toBe(413);
    expect(over.json().error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'The file is larger than the 1 KiB limit', details: { maxBytes: 1024 } });
    expect(over.headers.connection).toBe('close');
    expect(await rowsOf(p.id)).toEqual([]);
    expect(filesOf(p.id)).toEqual([]);

    const exact = await upload(p.id, { name: 'Just fits' }, { fileName: 'fits.bin', content: Buffer.alloc(1024, 1) }, small.app);
    expect(exact.statusCode).toBe(201);
    expect(exact.json().fileSize).toBe(1024);
  });

  it('with S3 storage: creates an s3 source, verifies it with HEAD, and deletes the object with it', async () => {
    const s3 = await startFakeS3();
    const s3App = await createTestApp({
      url: t.database.url,
      env: {
        STORAGE_DRIVER: 's3', S3_BUCKET: 'products', S3_ENDPOINT: s3.url, S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: 'AKIATEST', S3_SECRET_ACCESS_KEY: 'secret', MAX_UPLOAD_BYTES: '1024',
      },
    });
    try {
      const p = await createProduct(t.app, admin.headers);
      const content = Buffer.from('bytes kept in a bucket');
      const created = await upload(p.id, { name: 'In S3' }, { fileName: 'bucket.bin', content }, s3App.app);
      expect(created.statusCode, created.body).toBe(201);
      const source = created.json();
      expect(source).toMatchObject({ provider: 's3', fileSize: content.length, sha256: sha(content) });
      const key = `products/${p.id}/${source.id}/bucket.bin`;
      expect(s3.objects.get(`products/${key}`)).toEqual(content);

      const verified = await s3App.app.inject({ method: 'POST', url: `/api/admin/products/${p.id}/sources/${source.id}/verify`, headers: admin.headers });
      expect(verified.json()).toMatchObject({ lastVerifyError: null, fileSize: content.length });
      expect(s3.requests.at(-1)).toMatchObject({ method: 'HEAD', path: `/products/${key}` });

      const tooBig = await upload(p.id, { name: 'Too big' }, { fileName: 'big.bin', content: Buffer.alloc(2000) }, s3App.app);
      expect(tooBig.statusCode).toBe(413);
      expect([...s3.objects.keys()]).toEqual([`products/${key}`]);

      await s3App.app.inject({ method: 'DELETE', url: `/api/admin/products/${p.id}/sources/${source.id}`, headers: admin.headers });
      expect(s3.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/products/${key}` });
      expect(s3.objects.size).toBe(0);
    } finally {
      await s3App.close();
      await s3.close();
    }
  });

  describe('over a real socket', () => {
    let base: { host: string; port: number };

    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      await small.app.listen({ port: 0, host: '127.0.0.1' });
      base = { host: '127.0.0.1', port: (t.app.server.address() as { port: number }).port };
    });

    it('leaves no source and no file when the client cuts the upload off half-way', async () => {
      const p = await createProduct(t.app, admin.headers);
      const frame = multipartFrame({ name: 'Cut off' }, { fileName: 'half.bin' });
      const fileSize = 8 * MiB;
      const socket = connect(base.port, base.host);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST /api/admin/products/${p.id}/sources/upload HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: ${admin.headers.authorization}\r\n` +
          `Content-Type: ${frame.contentType}\r\nContent-Length: ${frame.head.length + fileSize + frame.tail.length}\r\n\r\n`,
      );
      socket.write(frame.head);
      socket.write(Buffer.alloc(fileSize / 2, 7)); // half the file, then the client is gone
      expect(await eventually(() => filesOf(p.id).length === 1, 10_000)).toBe(true); // streaming to a temp file…
      expect(filesOf(p.id)[0]).toMatch(/\.tmp$/);
      socket.destroy();
      // …which is removed, and then the directories made for it.
      expect(await eventually(() => !existsSync(join(dir, 'products', p.id)), 10_000)).toBe(true);
      expect(await rowsOf(p.id)).toEqual([]);
      // The server is fine afterwards.
      const after = await upload(p.id, { name: 'Whole' }, { fileName: 'whole.bin', content: Buffer.from('complete') });
      expect(after.statusCode).toBe(201);
    });

    it('refuses an upload whose declared length is over the limit before reading it', async () => {
      const port = (small.app.server.address() as { port: number }).port;
      const frame = multipartFrame({ name: 'Huge' }, { fileName: 'huge.bin' });
      const socket = connect(port, base.host);
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.write(
        `POST /api/admin/products/${product.id}/sources/upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${admin.headers.authorization}\r\n` +
          `Content-Type: ${frame.contentType}\r\nContent-Length: ${10 * 1024 ** 3}\r\n\r\n`,
      );
      socket.write(frame.head); // and nothing more of the 10 GiB
      await closed;
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('PAYLOAD_TOO_LARGE');
    });

    it('streams a 50 MB upload to storage as it arrives, hashing it on the way', async () => {
      const p = await createProduct(t.app, admin.headers);
      const size = 50 * MiB;
      const data = generatedBytes(size, 7);
      // Count the bytes that reach storage, to see where they are when the client has sent everything.
      const storage = t.app.storage as Storage;
      const put = storage.put.bind(storage);
      let reachedStorage = 0;
      storage.put = (key, body, options) => {
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            reachedStorage += chunk.length;
            done(null, chunk);
          },
        });
        body.pipe(counter);
        body.on('error', (error) => counter.destroy(error));
        return put(key, counter, options);
      };
      let storedWhenSent = -1;
      try {
        const frame = multipartFrame({ name: 'Big', version: '5.0' }, { fileName: 'big.bin' });
        const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest({
            host: base.host, port: base.port, method: 'POST', path: `/api/admin/products/${p.id}/sources/upload`,
            headers: { authorization: admin.headers.authorization, 'content-type': frame.contentType, 'content-length': frame.head.length + size + frame.tail.length },
          }, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.on('finish', () => (storedWhenSent = reachedStorage));
          pipeline(Readable.from((async function* () {
            yield frame.head;
            yield* data.stream();
            yield frame.tail;
          })()), req).catch(reject);
        });
        expect(response.status, response.body).toBe(201);
        const source = JSON.parse(response.body);
        expect(source).toMatchObject({ fileSize: size, sha256: data.sha256, fileName: 'big.bin', version: '5.0' });
        const [row] = await rowsOf(p.id);
        const onDisk = createHash('sha256');
        await pipeline(createReadStream(join(dir, row!.sourceUrl)), onDisk);
        expect(onDisk.digest('hex')).toBe(data.sha256);
      } finally {
        storage.put = put;
      }
      // When the client had handed its last byte to the socket, the server had already written all but
      // what sits in socket buffers to storage: it writes as the body arrives rather than collecting it.
      expect(storedWhenSent).toBeGreaterThan(size - 16 * MiB);
    });
  });
});
