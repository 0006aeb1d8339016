import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { ObjectTooLargeError } from '../../adapters/storage/index.js';
import type { Actor } from '../../lib/actor.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { getProductById } from './products.js';
import { uploadFields, type UploadFields } from './source-schema.js';
import { insertSource, uploadKey, type SourceContext } from './sources.js';

/** Room for the form's boundaries and text fields on top of the file itself. */
const FORM_OVERHEAD = 1024 * 1024;

const closing = { connection: 'close' };

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'The request is not valid', { details: [{ path: `body.${field}`, message }], headers: closing });

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

const tooLarge = (maxBytes: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `The file is larger than the ${formatBytes(maxBytes)} limit`, { details: { maxBytes }, headers: closing });

/** The name a browser gave the file, without any directory part or control characters. */
export function uploadedFileName(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).at(-1) ?? '';
  const clean = base.replace(/\p{Cc}/gu, '').trim().slice(-255);
  return clean && clean !== '.' && clean !== '..' ? clean : 'upload';
}

/**
 * The request's body may be left unread when an upload fails half-way, so every failure answers
 * with `Connection: close`, and multipart's own errors get our codes and words.
 */
function uploadError(error: unknown, maxBytes: number): unknown {
  if (error instanceof ObjectTooLargeError) return tooLarge(maxBytes);
  if (error instanceof AppError) {
    return new AppError(error.code, error.message, { status: error.status, details: error.details, headers: { ...error.headers, ...closing } });
  }
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(maxBytes);
  if (code === 'FST_FILES_LIMIT') return invalid('file', 'Send exactly one file');
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new AppError('PAYLOAD_TOO_LARGE', 'The form has too many fields', { headers: closing });
  }
  if (code === 'FST_MP_PREMATURE_CLOSE') return new AppError('BAD_REQUEST', 'The upload was cut off', { headers: closing });
  return error;
}

interface Received {
  key: string;
  fileName: string;
  size: number;
  sha256: string;
}

/**
 * `POST /products/{id}/sources/upload`: streams the `file` part to storage (hashed and counted on the
 * way, refused past `maxBytes`), then records a local/s3 source with the text fields in one
 * transaction with its audit event. Whatever fails, no file is left without a source and no source
 * without its file.
 */
export async function uploadSource(
  ctx: SourceContext,
  request: FastifyRequest,
  input: { productId: string; maxBytes: number },
  actor: Actor,
) {
  const sourceId = newId('source');
  const fields: Record<string, string> = {};
  let stored: Received | undefined;
  try {
    // Refusals before a byte of the body is read (they too close the connection, see uploadError).
    if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send multipart/form-data with the file in a `file` part');
    if (Number(request.headers['content-length']) > input.maxBytes + FORM_OVERHEAD) throw tooLarge(input.maxBytes);
    await getProductById(ctx.db, input.productId);

    for await (const part of request.parts({ limits: { fileSize: input.maxBytes + 1 } })) {
      if (part.type === 'field') {
        if (part.value !== '') fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== 'file' || stored) throw invalid(part.fieldname, 'Send exactly one file, in the `file` field');
      const fileName = uploadedFileName(part.filename);
      const key = uploadKey(input.productId, sourceId, fileName);
      const result = await ctx.storage.put(key, part.file, { maxBytes: input.maxBytes, contentType: part.mimetype });
      stored = { key, fileName, ...result };
      if (result.size === 0) throw invalid('file', 'The file is empty');
    }
    if (!stored) throw invalid('file', 'A file is required');
  } catch (error) {
    if (stored) await ctx.storage.delete(stored.key).catch(() => {});
    throw uploadError(error, input.maxBytes);
  }

  const upload = stored;
  try {
    const parsed = uploadFields.safeParse(fields);
    if (!parsed.success) {
      const details = parsed.error.issues.map((issue) => {
        const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
        return { path: `body.${field}`, message: issue.message };
      });
      throw new AppError('VALIDATION_FAILED', 'The request is not valid', { details });
    }
    return await record(ctx, { productId: input.productId, sourceId, upload, fields: parsed.data }, actor);
  } catch (error) {
    await ctx.storage.delete(upload.key).catch(() => {});
    throw error;
  }
}

function record(
  ctx: SourceContext,
  input: { productId: string; sourceId: string; upload: Received; fields: UploadFields },
  actor: Actor,
) {
  return insertSource(
    ctx.db,
    input.productId,
    {
      id: input.sourceId,
      provider: ctx.storage.driver,
      name: input.fields.name,
      description: input.fields.description ?? null,
      sourceUrl: input.upload.key,
      version: input.fields.version ?? null,
      fileName: input.upload.fileName,
      fileSize: input.upload.size,
      sha256: input.upload.sha256,
      isPrimary: input.fields.isPrimary,
      isActive: input.fields.isActive ?? true,
      lastVerifiedAt: new Date(),
    },
    'source.upload',
    actor,
  );
}
