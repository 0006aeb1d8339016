import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadEnv } from '../../env.js';
import { startFakeS3, type FakeS3 } from '../../../test/support/fake-s3.js';
import { generatedBytes } from '../../../test/support/uploads.js';
import { createStorage, InvalidKeyError, ObjectNotFoundError, ObjectTooLargeError, s3Storage, type Storage } from './index.js';

const MiB = 1024 * 1024;
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const sigV4 = /^AWS4-HMAC-SHA256 Credential=AKIATEST\/\d{8}\/eu-central-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/;

describe('s3 storage (against a fake S3 endpoint)', () => {
  let s3: FakeS3;
  let storage: Storage;

  beforeAll(async () => {
    s3 = await startFakeS3();
    // Through the settings, as an operator would configure MinIO.
    storage = createStorage(loadEnv({
      STORAGE_DRIVER: 's3', S3_BUCKET: 'mintreu-files', S3_REGION: 'eu-central-1', S3_ENDPOINT: s3.url,
      S3_ACCESS_KEY_ID: 'AKIATEST', S3_SECRET_ACCESS_KEY: 'secret-test-key', S3_FORCE_PATH_STYLE: 'true',
    }));
  });
  afterAll(async () => {
    await storage.close();
    await s3.close();
  });
  beforeEach(() => {
    s3.requests.length = 0;
  });

  it('puts a small stream with one signed PUT to bucket/key, reporting size and SHA-256', async () => {
    const result = await storage.put('products/p1/readme.txt', Readable.from(['hello ', 'S3']), { contentType: 'text/plain' });
    expect(result).toEqual({ size: 8, sha256: sha('hello S3') });
    expect(s3.requests).toHaveLength(1);
    const [put] = s3.requests;
    expect(put).toMatchObject({ method: 'PUT', path: '/mintreu-files/products/p1/readme.txt', query: {}, bodyBytes: 8 });
    expect(put!.headers.authorization).toMatch(sigV4);
    expect(put!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(put!.headers['content-type']).toBe('text/plain');
    // Plain bodies for S3-compatible servers: no aws-chunked encoding with checksum trailers.
    expect(put!.headers['content-encoding']).toBeUndefined();
    expect(put!.headers['x-amz-trailer']).toBeUndefined();
    expect(s3.objects.get('mintreu-files/products/p1/readme.txt')?.toString()).toBe('hello S3');
  });

  it('streams a large body as a multipart upload: create, 5 MiB parts, complete', async () => {
    const data = generatedBytes(12 * MiB + 5);
    const result = await storage.put('products/p1/big.bin', data.stream());
    expect(result).toEqual({ size: 12 * MiB + 5, sha256: data.sha256 });

    const shapes = s3.requests.map((r) => `${r.method} ${Object.keys(r.query).filter((k) => k !== 'x-id').sort().join('&')}`);
    expect(shapes[0]).toBe('POST uploads');
    expect(shapes.slice(1, -1).sort()).toEqual(['PUT partNumber&uploadId', 'PUT partNumber&uploadId', 'PUT partNumber&uploadId']);
    expect(shapes.at(-1)).toBe('POST uploadId');
    const parts = s3.requests.filter((r) => r.query.partNumber).sort((a, b) => Number(a.query.partNumber) - Number(b.query.partNumber));
    expect(parts.map((p) => p.bodyBytes)).toEqual([5 * MiB, 5 * MiB, 2 * MiB + 5]);
    for (const request of s3.requests) {
      expect(request.path).toBe('/mintreu-files/products/p1/big.bin');
      expect(request.headers.authorization).toMatch(sigV4);
    }
    expect(sha(s3.objects.get('mintreu-files/products/p1/big.bin')!)).toBe(data.sha256);
    expect(s3.uploads.size).toBe(0);
  });

  it('aborts the multipart upload when the body passes maxBytes, leaving no object', async () => {
    await expect(storage.put('products/p1/too-big.bin', generatedBytes(12 * MiB).stream(), { maxBytes: 7 * MiB }))
      .rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(s3.requests.some((r) => r.method === 'DELETE' && r.query.uploadId)).toBe(true);
    expect(s3.uploads.size).toBe(0);
    expect(s3.objects.has('mintreu-files/products/p1/too-big.bin')).toBe(false);
  });

  it('sends nothing at all when a small body passes maxBytes', async () => {
    await expect(storage.put('products/p1/small.bin', Readable.from([Buffer.alloc(300)]), { maxBytes: 100 }))
      .rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(s3.requests).toEqual([]);
  });

  it('aborts the multipart upload when the body breaks off half-way', async () => {
    const body = new PassThrough();
    const putting = storage.put('products/p1/cut.bin', body);
    const chunk = Buffer.alloc(MiB, 7);
    for (let i = 0; i < 6; i++) if (!body.write(chunk)) await new Promise((r) => body.once('drain', r));
    await new Promise((r) => setTimeout(r, 50));
    body.destroy(new Error('client went away'));
    await expect(putting).rejects.toThrow();
    expect(s3.uploads.size).toBe(0);
    expect(s3.objects.has('mintreu-files/products/p1/cut.bin')).toBe(false);
  });

  it('stats with HEAD, and answers null for a missing object', async () => {
    await storage.put('products/p1/stat.txt', Readable.from(['12345']));
    s3.requests.length = 0;
    expect(await storage.stat('products/p1/stat.txt')).toMatchObject({ size: 5, lastModified: expect.any(Date) });
    expect(await storage.stat('products/p1/missing.txt')).toBeNull();
    expect(s3.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'HEAD /mintreu-files/products/p1/stat.txt',
      'HEAD /mintreu-files/products/p1/missing.txt',
    ]);
    expect(s3.requests[0]!.headers.authorization).toMatch(sigV4);
  });

  it('reads with GET, a byte range with a Range header, and reports a missing key', async () => {
    await storage.put('products/p1/range.txt', Readable.from(['0123456789']));
    s3.requests.length = 0;
    expect(await text(await storage.createReadStream('products/p1/range.txt'))).toBe('0123456789');
    expect(await text(await storage.createReadStream('products/p1/range.txt', { start: 2, end: 5 }))).toBe('2345');
    expect(s3.requests.map((r) => [r.method, r.path, r.headers.range])).toEqual([
      ['GET', '/mintreu-files/products/p1/range.txt', undefined],
      ['GET', '/mintreu-files/products/p1/range.txt', 'bytes=2-5'],
    ]);
    await expect(storage.createReadStream('products/p1/nope.txt')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('deletes with DELETE', async () => {
    await storage.put('products/p1/gone.txt', Readable.from(['bye']));
    s3.requests.length = 0;
    await storage.delete('products/p1/gone.txt');
    expect(s3.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /mintreu-files/products/p1/gone.txt']);
    expect(s3.objects.has('mintreu-files/products/p1/gone.txt')).toBe(false);
  });

  it('presigns a short-lived GET URL that names the download file', async () => {
    await storage.put('products/p1/app.zip', Readable.from(['zip bytes']));
    const signed = new URL(await storage.signedUrl!('products/p1/app.zip', 300, 'My App 1.0.zip'));
    expect(`${signed.origin}${signed.pathname}`).toBe(`${s3.url}/mintreu-files/products/p1/app.zip`);
    const q = signed.searchParams;
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toMatch(/^AKIATEST\/\d{8}\/eu-central-1\/s3\/aws4_request$/);
    expect(q.get('X-Amz-Expires')).toBe('300');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(q.get('response-content-disposition')).toBe(`attachment; filename="My App 1.0.zip"; filename*=UTF-8''My%20App%201.0.zip`);
    expect(signed.toString()).not.toContain('secret-test-key');
    // The URL works as a plain GET, with no credentials of the caller's own.
    const response = await fetch(signed);
    expect(Buffer.from(await response.arrayBuffer()).toString()).toBe('zip bytes');
  });

  it('refuses invalid keys before sending anything', async () => {
    for (const key of ['../escape', 'a//b', '.hidden']) {
      await expect(storage.put(key, Readable.from(['x']))).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(storage.stat(key)).rejects.toBeInstanceOf(InvalidKeyError);
    }
    expect(s3.requests).toEqual([]);
  });

  it('uses virtual-hosted addressing unless path style is asked for', async () => {
    const hosted = s3Storage({ bucket: 'media-bucket', region: 'us-east-1', endpoint: 'https://s3.example.test', accessKeyId: 'AKIATEST', secretAccessKey: 's' });
    expect(new URL(await hosted.signedUrl!('k/file.bin', 60, 'file.bin')).host).toBe('media-bucket.s3.example.test');
    await hosted.close();
  });
});
