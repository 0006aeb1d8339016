import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../env.js';
import { eventually } from '../../../test/helpers.js';
import { filesUnder, generatedBytes } from '../../../test/support/uploads.js';
import {
  contentDisposition, createStorage, InvalidKeyError, isValidKey, keySegment, localStorage, ObjectNotFoundError, ObjectTooLargeError,
  type Storage,
} from './index.js';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('local storage', () => {
  let base: string;
  let root: string;
  let storage: Storage;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'mintreu-storage-'));
    root = join(base, 'files');
    storage = localStorage(root);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('stores a stream, reporting its size and SHA-256, and reads it back whole or by range', async () => {
    const result = await storage.put('products/p1/hello.txt', Readable.from(['hello, ', 'world']));
    expect(result).toEqual({ size: 12, sha256: sha('hello, world') });
    expect(readFileSync(join(root, 'products/p1/hello.txt'), 'utf8')).toBe('hello, world');
    expect(await storage.stat('products/p1/hello.txt')).toMatchObject({ size: 12, lastModified: expect.any(Date) });
    expect(await text(await storage.createReadStream('products/p1/hello.txt'))).toBe('hello, world');
    expect(await text(await storage.createReadStream('products/p1/hello.txt', { start: 7, end: 11 }))).toBe('world');
    expect(await text(await storage.createReadStream('products/p1/hello.txt', { start: 0, end: 0 }))).toBe('h');
  });

  it('hashes a multi-megabyte stream correctly', async () => {
    const data = generatedBytes(6 * 1024 * 1024 + 123);
    const result = await storage.put('big/blob.bin', data.stream());
    expect(result).toEqual({ size: 6 * 1024 * 1024 + 123, sha256: data.sha256 });
    expect(sha(readFileSync(join(root, 'big/blob.bin')))).toBe(data.sha256);
  });

  it('writes to a hidden temp file and renames it into place only when the body is complete', async () => {
    const body = new PassThrough();
    const putting = storage.put('atomic/file.bin', body);
    body.write(Buffer.alloc(1000, 1));
    expect(await eventually(() => filesUnder(join(root, 'atomic')).length === 1)).toBe(true);
    const [temp] = filesUnder(join(root, 'atomic'));
    expect(temp).toMatch(/^\.file\.bin\.[0-9a-f]+\.tmp$/);
    expect(await storage.stat('atomic/file.bin')).toBeNull(); // readers see nothing half-written
    body.end(Buffer.alloc(24, 2));
    expect((await putting).size).toBe(1024);
    expect(filesUnder(join(root, 'atomic'))).toEqual(['file.bin']);
  });

  it('leaves nothing behind when the body fails half-way', async () => {
    const body = new PassThrough();
    const putting = storage.put('cut/file.bin', body);
    body.write(Buffer.alloc(4096));
    await eventually(() => filesUnder(join(root, 'cut')).length === 1);
    body.destroy(new Error('client went away'));
    await expect(putting).rejects.toThrow('client went away');
    expect(filesUnder(join(root, 'cut'))).toEqual([]);
    expect(existsSync(join(root, 'cut'))).toBe(false); // nor the directory made for it
  });

  it('refuses a body past maxBytes and keeps nothing', async () => {
    await expect(storage.put('limits/big.bin', Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { maxBytes: 1000 }))
      .rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(filesUnder(join(root, 'limits'))).toEqual([]);
    // Exactly at the limit is fine.
    expect((await storage.put('limits/ok.bin', Readable.from([Buffer.alloc(1000)]), { maxBytes: 1000 })).size).toBe(1000);
  });

  it('replaces an object atomically: a reader that already opened it keeps the old bytes', async () => {
    await storage.put('replace/a.txt', Readable.from(['old contents']));
    const reader = await storage.createReadStream('replace/a.txt');
    await storage.put('replace/a.txt', Readable.from(['new contents']));
    expect(await text(reader)).toBe('old contents');
    expect(await text(await storage.createReadStream('replace/a.txt'))).toBe('new contents');
  });

  it('reports missing objects: stat → null, read → ObjectNotFoundError, delete → fine', async () => {
    expect(await storage.stat('nothing/here.bin')).toBeNull();
    await expect(storage.createReadStream('nothing/here.bin')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(storage.delete('nothing/here.bin')).resolves.toBeUndefined();
  });

  it('deletes an object and the directories it leaves empty, never the root', async () => {
    await storage.put('products/p9/src/app.zip', Readable.from(['zip']));
    await storage.delete('products/p9/src/app.zip');
    expect(existsSync(join(root, 'products/p9'))).toBe(false);
    expect(existsSync(join(root, 'products'))).toBe(true); // still holds p1
    expect(existsSync(root)).toBe(true);
  });

  it('refuses keys that could leave the storage directory or hide files', async () => {
    writeFileSync(join(base, 'outside.txt'), 'secret');
    const bad = ['../outside.txt', 'a/../../outside.txt', '/etc/passwd', '.hidden', 'a/.tmp', 'a//b', 'a\\b', '', 'a/./b', 'with space', 'a/', `${'x'.repeat(201)}`];
    for (const key of bad) {
      expect(isValidKey(key), key).toBe(false);
      await expect(storage.put(key, Readable.from(['x']))).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(storage.stat(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(storage.createReadStream(key)).rejects.toBeInstanceOf(InvalidKeyError);
      await expect(storage.delete(key)).rejects.toBeInstanceOf(InvalidKeyError);
    }
    expect(readFileSync(join(base, 'outside.txt'), 'utf8')).toBe('secret');
    expect(existsSync(join(dirname(base), 'x'))).toBe(false);
  });

  it('makes file names safe as key segments', () => {
    expect(keySegment('My App (1).zip')).toBe('My_App_1_.zip');
    expect(keySegment('../../etc/passwd')).toBe('etc_passwd');
    expect(keySegment('.env')).toBe('env');
    expect(keySegment('日本語.zip')).toBe('zip');
    expect(keySegment('')).toBe('file');
    expect(isValidKey(`a/${keySegment('x'.repeat(500) + '.tar.gz')}`)).toBe(true);
  });

  it('writes Content-Disposition with an ASCII fallback and the exact UTF-8 name', () => {
    expect(contentDisposition('tool-1.0.zip')).toBe(`attachment; filename="tool-1.0.zip"; filename*=UTF-8''tool-1.0.zip`);
    expect(contentDisposition('naïve "quoted"\r\n.zip')).toBe(
      `attachment; filename="na_ve _quoted___.zip"; filename*=UTF-8''na%C3%AFve%20_quoted___.zip`,
    );
  });
});

describe('storage settings', () => {
  it('defaults to local storage in DATA_DIR/files', () => {
    const env = loadEnv({ DATA_DIR: '/srv/mintreu' });
    expect(env).toMatchObject({ STORAGE_DRIVER: 'local', STORAGE_DIR: '/srv/mintreu/files', MAX_UPLOAD_BYTES: 5 * 1024 ** 3 });
    expect(createStorage(env).driver).toBe('local');
  });

  it('needs a bucket for s3, both keys or neither, and no private source hosts in production', () => {
    expect(() => loadEnv({ STORAGE_DRIVER: 's3' })).toThrow(/S3_BUCKET: required when STORAGE_DRIVER=s3/);
    expect(() => loadEnv({ STORAGE_DRIVER: 's3', S3_BUCKET: 'b', S3_ACCESS_KEY_ID: 'AKID' })).toThrow(/S3_SECRET_ACCESS_KEY/);
    expect(() => loadEnv({ NODE_ENV: 'production', ALLOW_PRIVATE_SOURCE_HOSTS: 'true' })).toThrow(/ALLOW_PRIVATE_SOURCE_HOSTS/);
    expect(createStorage(loadEnv({ STORAGE_DRIVER: 's3', S3_BUCKET: 'b' })).driver).toBe('s3');
  });
});
