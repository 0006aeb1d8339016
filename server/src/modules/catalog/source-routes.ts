import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  adminSource, adminSourceList, createSourceBody, productParams, sourceList, sourceParams, updateSourceBody, uploadForm,
} from './source-schema.js';
import { uploadSource } from './source-upload.js';
import { verifySource } from './source-verify.js';
import * as sources from './sources.js';

export function sourceContext(app: FastifyInstance): sources.SourceContext {
  return {
    db: app.db,
    storage: app.storage,
    keyRing: app.keyRing,
    hostPolicy: { allowPrivate: app.env.ALLOW_PRIVATE_SOURCE_HOSTS },
    githubApiUrl: app.env.GITHUB_API_URL,
    gitlabApiUrl: app.env.GITLAB_API_URL,
  };
}

/** `GET /api/products/{slug}/sources`: what a product page lists for download. */
export async function sourceRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/products/:slug/sources',
    {
      config: { access: 'public' },
      schema: {
        tags: ['catalog'],
        summary: "A published product's active download sources, primary first",
        params: z.object({ slug: z.string().min(1).max(120) }),
        response: { 200: sourceList },
      },
    },
    async (request) => ({ data: await sources.listPublicSources(app.db, request.params.slug) }),
  );
}

/** Admin source management under `/api/admin/products/{id}/sources`. */
export async function sourceAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const ctx = sourceContext(fastify);
  const admin = { access: 'admin' as const };
  const tags = ['admin'];

  app.get('/products/:id/sources', { config: admin, schema: { tags, summary: "A product's sources", params: productParams, response: { 200: adminSourceList } } },
    async (request) => ({ data: await sources.listSources(app.db, request.params.id) }));

  app.post('/products/:id/sources', {
    config: admin,
    schema: {
      tags,
      summary: 'Add a source: a stored file, a direct URL, or a GitHub/GitLab release',
      description: 'The source URL and token are write-only: no response contains them; the token is stored encrypted. ' +
        'URLs must be http(s) on a public host. Setting isPrimary moves the primary mark to this source.',
      params: productParams,
      body: createSourceBody,
      response: { 201: adminSource },
    },
  }, async (request, reply) => reply.status(201).send(await sources.createSource(ctx, request.params.id, request.body, request.actor)));

  app.get('/products/:id/sources/:sourceId', { config: admin, schema: { tags, params: sourceParams, response: { 200: adminSource } } },
    async (request) => sources.getSource(app.db, request.params.id, request.params.sourceId));

  app.patch('/products/:id/sources/:sourceId', { config: admin, schema: { tags, params: sourceParams, body: updateSourceBody, response: { 200: adminSource } } },
    async (request) => sources.updateSource(ctx, { productId: request.params.id, sourceId: request.params.sourceId }, request.body, request.actor));

  app.delete('/products/:id/sources/:sourceId', { config: admin, schema: { tags, summary: 'Delete a source (and its file, when it was uploaded for it)', params: sourceParams } },
    async (request, reply) => {
      await sources.deleteSource(ctx, { productId: request.params.id, sourceId: request.params.sourceId }, request.actor);
      return reply.status(204).send();
    });

  app.post('/products/:id/sources/:sourceId/verify', {
    config: admin,
    schema: {
      tags,
      summary: 'Check that a source can be delivered; records its size and version',
      description: 'The outcome is data: a failed check answers 200 with the source and its lastVerifyError.',
      params: sourceParams,
      response: { 200: adminSource },
    },
  }, async (request) => verifySource(ctx, { productId: request.params.id, sourceId: request.params.sourceId }, request.actor));

  // Multipart only here: its parser and hooks stay off every other route.
  await fastify.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fieldNameSize: 100, fieldSize: 10_000, fields: 10, files: 1, parts: 12, headerPairs: 100 },
    });
    scope.withTypeProvider<ZodTypeProvider>().post('/products/:id/sources/upload', {
      config: admin,
      schema: {
        tags,
        summary: 'Upload a file and create a source for it',
        description: `Streams the \`file\` part to storage, computing its SHA-256 on the way. Larger than MAX_UPLOAD_BYTES (now ${app.env.MAX_UPLOAD_BYTES}) → 413.`,
        consumes: ['multipart/form-data'],
        params: productParams,
        body: uploadForm,
        response: { 201: adminSource },
      },
    }, async (request, reply) => {
      const created = await uploadSource(ctx, request, { productId: request.params.id, maxBytes: app.env.MAX_UPLOAD_BYTES }, request.actor);
      return reply.status(201).send(created);
    });
  });
}
