import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** A product made through the admin API (published unless told otherwise). */
export async function createProduct(app: FastifyInstance, headers: Record<string, string>, body: Record<string, unknown> = {}) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/admin/products',
    headers,
    payload: { title: `Product ${randomBytes(3).toString('hex')}`, type: 'downloadable', price: 0, status: 'published', ...body },
  });
  if (response.statusCode !== 201) throw new Error(`product create failed: ${response.statusCode} ${response.body}`);
  return response.json() as { id: string; slug: string };
}

export interface FilePart {
  name?: string;
  fileName: string;
  contentType?: string;
}

const crlf = '\r\n';

/** The pieces of a multipart/form-data body around one file's bytes, so the bytes can be streamed. */
export function multipartFrame(fields: Record<string, string>, file: FilePart, boundary = `----mintreu${randomBytes(8).toString('hex')}`) {
  let head = '';
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}${crlf}Content-Disposition: form-data; name="${name}"${crlf}${crlf}${value}${crlf}`;
  }
  head +=
    `--${boundary}${crlf}Content-Disposition: form-data; name="${file.name ?? 'file'}"; filename="${file.fileName}"${crlf}` +
    `Content-Type: ${file.contentType ?? 'application/octet-stream'}${crlf}${crlf}`;
  return {
    head: Buffer.from(head),
    tail: Buffer.from(`${crlf}--${boundary}--${crlf}`),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** A whole multipart body in memory, for `app.inject` with small files. */
export function multipartBody(fields: Record<string, string>, file?: FilePart & { content: Buffer }) {
  const boundary = `----mintreu${randomBytes(8).toString('hex')}`;
  if (!file) {
    let body = '';
    for (const [name, value] of Object.entries(fields)) {
      body += `--${boundary}${crlf}Content-Disposition: form-data; name="${name}"${crlf}${crlf}${value}${crlf}`;
    }
    body += `--${boundary}--${crlf}`;
    return { payload: Buffer.from(body), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
  }
  const frame = multipartFrame(fields, file, boundary);
  return { payload: Buffer.concat([frame.head, file.content, frame.tail]), headers: { 'content-type': frame.contentType } };
}

/** `size` deterministic pseudo-random bytes, generated lazily in 64 KiB chunks (never all in memory). */
export function generatedBytes(size: number, seed = 1): { stream(): Readable; sha256: string } {
  const key = createHash('sha256').update(`seed:${seed}`).digest().subarray(0, 16);
  // AES-CTR over zeros: fast, deterministic, incompressible.
  const chunk = (index: number, length: number) => {
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(index, 12);
    return createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(length));
  };
  const chunkSize = 64 * 1024;
  const hash = createHash('sha256');
  for (let offset = 0, i = 0; offset < size; offset += chunkSize, i++) hash.update(chunk(i, Math.min(chunkSize, size - offset)));
  return {
    sha256: hash.digest('hex'),
    stream: () =>
      Readable.from(
        (function* () {
          for (let offset = 0, i = 0; offset < size; offset += chunkSize, i++) yield chunk(i, Math.min(chunkSize, size - offset));
        })(),
      ),
  };
}

/** Every file under `dir` (relative paths), hidden temp files included. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    let names: string[];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(sub, name);
      if (statSync(join(dir, path)).isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk('');
  return out.sort();
}
