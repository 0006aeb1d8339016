import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { findImage, MEDIA_MAX_BYTES, storeImage } from './media.js';
import { multipartDoc } from './source-schema.js';
import { formatBytes, uploadedFileName } from './source-upload.js';

const imageResponse = {
  description: 'The image bytes',
  content: { 'image/*': { schema: z.string().meta({ format: 'binary' }) } },
};

/** `GET /media/{sha256}.{ext}`: uploaded images, public and cached for good (the name is the content's hash). */
export async function mediaRoutes(fastify: FastifyInstance) {
  // Untyped replies: the body is a byte stream, which the zod response types cannot describe.
  fastify.get<{ Params: { '*': string } }>('/media/*', {
    config: { access: 'public' },
    schema: {
      tags: ['catalog'],
      summary: 'An uploaded image',
      params: z.object({ '*': z.string().max(200).describe('<sha256>.<png|jpg|webp|gif>') }),
      response: { 200: imageResponse, 304: z.null().describe('Not modified') },
    },
  }, async (request, reply) => {
    const image = await findImage(fastify.storage, request.params['*']);
    reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', image.etag);
    if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === image.etag)) return reply.status(304).send();
    return reply.type(image.contentType).header('content-length', image.size).send(await image.open());
  });
}

/** `POST /api/admin/media`: upload a product image. */
export async function mediaAdminRoutes(fastify: FastifyInstance) {
  await fastify.register(multipart, { limits: { fieldNameSize: 100, fieldSize: 1000, fields: 5, files: 1, parts: 6, headerPairs: 100 } });
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.post('/media', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin'],
      summary: 'Upload a product image',
      description: `PNG, JPEG, WebP or GIF (recognised by their bytes; SVG is refused), at most ${formatBytes(MEDIA_MAX_BYTES)}.`,
      consumes: ['multipart/form-data'],
      body: multipartDoc(z.object({ file: z.string().meta({ format: 'binary', description: 'PNG, JPEG, WebP or GIF' }) })),
      response: { 201: z.object({ url: z.string().describe('/media/<sha256>.<ext>, for a product\'s image field') }) },
    },
  }, async (request, reply) => {
    if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send multipart/form-data with the image in a `file` part');
    const closing = { headers: { connection: 'close' } };
    let bytes: Buffer;
    let fileName: string | null;
    try {
      const file = await request.file({ limits: { fileSize: MEDIA_MAX_BYTES } });
      if (!file) throw new AppError('VALIDATION_FAILED', 'The request is not valid', { details: [{ path: 'body.file', message: 'An image file is required' }] });
      fileName = file.filename ? uploadedFileName(file.filename) : null;
      bytes = await file.toBuffer(); // bounded by MEDIA_MAX_BYTES
    } catch (error) {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        throw new AppError('PAYLOAD_TOO_LARGE', `Images are limited to ${formatBytes(MEDIA_MAX_BYTES)}`, closing);
      }
      throw error;
    }
    return reply.status(201).send(await storeImage({ db: app.db, storage: app.storage }, { bytes, fileName }, request.actor));
  });
}
