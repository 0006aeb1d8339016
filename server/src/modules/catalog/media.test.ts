import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, signUp, type TestApp } from '../../../test/helpers.js';
import { filesUnder, multipartBody } from '../../../test/support/uploads.js';
import { MEDIA_MAX_BYTES, sniffImage } from './media.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR pretend png body')]);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF pretend jpeg')]);
const gif = Buffer.from('GIF89a pretend gif');
const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x20, 0, 0, 0]), Buffer.from('WEBPVP8 pretend')]);

describe('product images', () => {
  let dir: string;
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;

  const upload = (content: Buffer, fileName = 'image.png', contentType = 'image/png', headers?: Record<string, string>) => {
    const body = multipartBody({}, { fileName, content, contentType });
    return t.app.inject({ method: 'POST', url: '/api/admin/media', headers: { ...(headers ?? admin.headers), ...body.headers }, payload: body.payload });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mintreu-media-'));
    t = await createTestApp({ env: { STORAGE_DIR: dir } });
    admin = await asAdmin(t.app);
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores an image under its SHA-256 and serves it publicly, cached for good', async () => {
    const response = await upload(png);
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toEqual({ url: `/media/${sha(png)}.png` });

    const served = await t.app.inject({ method: 'GET', url: response.json().url });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload).toEqual(png);
    expect(served.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(png.length),
      'cache-control': 'public, max-age=31536000, immutable',
      etag: `"${sha(png)}"`,
      'x-content-type-options': 'nosniff',
    });
    const again = await t.app.inject({ method: 'GET', url: response.json().url, headers: { 'if-none-match': `"${sha(png)}"` } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('knows images by their bytes, not their names or declared types', async () => {
    expect((await upload(jpeg, 'photo.png', 'image/png')).json().url).toBe(`/media/${sha(jpeg)}.jpg`);
    expect((await upload(gif, 'anim.txt', 'text/plain')).json().url).toBe(`/media/${sha(gif)}.gif`);
    expect((await upload(webp, 'x', 'application/octet-stream')).json().url).toBe(`/media/${sha(webp)}.webp`);
    expect((await t.app.inject({ method: 'GET', url: `/media/${sha(jpeg)}.jpg` })).headers['content-type']).toBe('image/jpeg');
    expect(sniffImage(Buffer.from('RIFF....AVI '))).toBeNull();
  });

  it('refuses SVG and anything that is not a raster image', async () => {
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const refusedSvg = await upload(svg, 'logo.png', 'image/png');
    expect(refusedSvg.statusCode).toBe(415);
    expect(refusedSvg.json().error).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('SVG images are not accepted') });
    for (const content of [Buffer.from('<html><script>alert(1)</script></html>'), Buffer.from('%PDF-1.7'), Buffer.alloc(0)]) {
      expect((await upload(content, 'image.png')).statusCode).toBe(415);
    }
    expect(filesUnder(dir).every((f) => /^media\/[0-9a-f]{64}\.(png|jpg|gif|webp)$/.test(f))).toBe(true);
  });

  it('limits images to 5 MiB', async () => {
    const atLimit = Buffer.concat([png, Buffer.alloc(MEDIA_MAX_BYTES - png.length, 1)]);
    expect((await upload(atLimit)).statusCode).toBe(201);
    const over = await upload(Buffer.concat([atLimit, Buffer.from([0])]));
    expect(over.statusCode).toBe(413);
    expect(over.json().error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'Images are limited to 5 MiB' });
    expect(filesUnder(dir)).not.toContain(`media/${sha(Buffer.concat([atLimit, Buffer.from([0])]))}.png`);
  });

  it('stores the same image once, and audits each upload', async () => {
    const image = Buffer.concat([png, Buffer.from('dedupe me')]);
    const first = (await upload(image, 'a.png')).json();
    const second = (await upload(image, 'b.png')).json();
    expect(second).toEqual(first);
    expect(filesUnder(dir).filter((f) => f.includes(sha(image)))).toHaveLength(1);
    const audit = await t.app.inject({ method: 'GET', url: `/api/admin/audit?action=media.upload&entityId=${sha(image)}.png`, headers: admin.headers });
    expect(audit.json().data.map((e: { after: { fileName: string; deduplicated: boolean } }) => [e.after.fileName, e.after.deduplicated])).toEqual([
      ['b.png', true], ['a.png', false],
    ]);
  });

  it('serves only content-addressed names; anything else is 404', async () => {
    const sha64 = sha(png);
    for (const url of [
      `/media/${'0'.repeat(64)}.png`, '/media/image.png', `/media/${sha64.toUpperCase()}.png`, `/media/${sha64}.svg`,
      `/media/../../etc/passwd`, `/media/..%2F..%2Fetc%2Fpasswd`, `/media/media/${sha64}.png`, '/media/', `/media/${sha64}.png.tmp`,
    ]) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
    }
  });

  it('lets only admins upload, and only multipart with a file', async () => {
    const customer = await signUp(t.app);
    expect((await upload(png, 'a.png', 'image/png', {})).statusCode).toBe(401);
    expect((await upload(png, 'a.png', 'image/png', customer.headers)).statusCode).toBe(403);
    const json = await t.app.inject({ method: 'POST', url: '/api/admin/media', headers: admin.headers, payload: { url: 'https://x' } });
    expect(json.statusCode).toBe(415);
    const noFile = multipartBody({ caption: 'no file' });
    const empty = await t.app.inject({ method: 'POST', url: '/api/admin/media', headers: { ...admin.headers, ...noFile.headers }, payload: noFile.payload });
    expect(empty.statusCode).toBe(400);
  });
});
