import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ObjectNotFoundError, type Storage } from '../../adapters/storage/index.js';
import type { Db } from '../../db/client.js';
import type { Actor } from '../../lib/actor.js';
import { recordAudit } from '../../lib/audit.js';
import { AppError, notFound } from '../../lib/errors.js';

/** Product images: at most 5 MB, stored under their SHA-256, so a URL names its bytes forever. */
export const MEDIA_MAX_BYTES = 5 * 1024 * 1024;

const kinds = {
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
} as const;
type Extension = keyof typeof kinds;

/** `<sha256>.<ext>`: the only names /media/ serves. */
const mediaName = /^([a-f0-9]{64})\.(png|jpg|webp|gif)$/;

const startsWith = (bytes: Buffer, signature: number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/** What the bytes are, by their signature (never the file name or the declared type). */
export function sniffImage(bytes: Buffer): Extension | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpg';
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'webp';
  return null;
}

function looksLikeSvg(bytes: Buffer): boolean {
  return /<svg[\s>]/i.test(bytes.subarray(0, 4096).toString('utf8'));
}

/** Stores an uploaded image (deduplicated by content) and records who uploaded it. */
export async function storeImage(
  ctx: { db: Db; storage: Storage },
  input: { bytes: Buffer; fileName: string | null },
  actor: Actor,
): Promise<{ url: string }> {
  const ext = sniffImage(input.bytes);
  if (!ext) {
    throw new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      looksLikeSvg(input.bytes)
        ? 'SVG images are not accepted (they can carry scripts); upload a PNG, JPEG, WebP or GIF'
        : 'Upload a PNG, JPEG, WebP or GIF image',
    );
  }
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  const name = `${sha256}.${ext}`;
  const key = `media/${name}`;
  const existing = await ctx.storage.stat(key);
  if (!existing) await ctx.storage.put(key, Readable.from([input.bytes]), { contentType: kinds[ext], maxBytes: MEDIA_MAX_BYTES });
  await ctx.db.transaction(async (tx) => {
    await recordAudit(tx, actor, {
      action: 'media.upload',
      entityType: 'media',
      entityId: name,
      after: { size: input.bytes.length, contentType: kinds[ext], fileName: input.fileName, deduplicated: Boolean(existing) },
    });
  });
  return { url: `/media/${name}` };
}

/** A stored image by its public name (404 for any other name); `open()` streams it. */
export async function findImage(storage: Storage, name: string) {
  const match = mediaName.exec(name);
  if (!match) throw notFound('Image');
  const key = `media/${name}`;
  const info = await storage.stat(key);
  if (!info) throw notFound('Image');
  return {
    size: info.size,
    contentType: kinds[match[2] as Extension],
    etag: `"${match[1]}"`,
    async open() {
      try {
        return await storage.createReadStream(key);
      } catch (error) {
        if (error instanceof ObjectNotFoundError) throw notFound('Image');
        throw error;
      }
    },
  };
}
