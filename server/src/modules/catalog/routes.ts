import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sessionUser } from '../../lib/guard.js';
import { parseQuery, registerHot, validationError } from '../../lib/hot-lane.js';
import { renderMarkdown } from '../../lib/markdown.js';
import { createResponseCache } from '../../lib/response-cache.js';
import * as categories from './categories.js';
import * as plansService from './plans.js';
import * as products from './products.js';
import {
  adminListProductsQuery, adminProduct, adminProductList, bulkStatusBody, category, categoryBody, createProductBody,
  listProductsQuery, plan, planBody, productDetail, productList, updatePlanBody, updateProductBody,
} from './schema.js';

const id = z.string().min(1).max(64);
const slug = z.string().min(1).max(120);

/** The public catalogue: what visitors browse and search. Answers come from the response cache. */
export async function catalogRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const cache = createResponseCache({ ttlMs: 60_000, maxEntries: 2000, generation: () => app.live.generation });
  /** Serialise through the route's own schema once, then reuse the JSON. */
  const cached = async <T>(reply: FastifyReply, schema: z.ZodType<T>, key: string, compute: () => Promise<T>): Promise<void> => {
    const body = await cache.get(key, async () => JSON.stringify(schema.parse(await compute())));
    reply.type('application/json').serializer((payload: string) => payload).send(body);
  };

  // Browsing and searching is the storefront's busiest call: the hot lane serves it, and an answer in the cache is
  // written without parsing its query again (only a valid query's answer is ever stored).
  const lane = app.hotLane;
  // Kept as bytes: the same page of results is written thousands of times between two changes to the catalogue.
  const listCache = createResponseCache<Buffer>({ ttlMs: 60_000, maxEntries: 2000, generation: () => app.live.generation });
  await registerHot(app, {
    method: 'GET', url: '/products',
    schema: { tags: ['catalog'], summary: 'Browse and search published products', querystring: listProductsQuery, response: { 200: productList } },
    handler: async (req, res, ctx) => {
      const body = await listCache.get(req.url!, async () => {
        const query = listProductsQuery.safeParse(parseQuery(req.url!));
        if (!query.success) throw validationError(query.error.issues, 'querystring');
        return Buffer.from(JSON.stringify(productList.parse(await products.listProducts(app.db, query.data, 'public'))));
      });
      lane.json(res, ctx, 200, body);
    },
  });

  app.get(
    '/products/:slug',
    { config: { access: 'public' }, schema: { tags: ['catalog'], summary: 'A product page', params: z.object({ slug }), response: { 200: productDetail } } },
    async (request, reply) => {
      // Admins may preview unpublished products (not cached); everyone else gets 404 for them.
      const admin = (await sessionUser(app.auth, request).catch(() => null))?.role === 'admin';
      const page = () => productPage(app, request.params.slug, admin ? 'admin' : 'public');
      if (admin) return page();
      return cached(reply, productDetail, request.url, page);
    },
  );

  app.get(
    '/products/:slug/plans',
    { config: { access: 'public' }, schema: { tags: ['catalog'], summary: "A product's active plans", params: z.object({ slug }), response: { 200: z.object({ data: z.array(plan) }) } } },
    (request, reply) =>
      cached(reply, z.object({ data: z.array(plan) }), request.url, async () => {
        const row = await products.getPublicProductBySlug(app.db, request.params.slug);
        return { data: await plansService.listPlans(app.db, row.id, { activeOnly: true }) };
      }),
  );

  app.get(
    '/categories',
    { config: { access: 'public' }, schema: { tags: ['catalog'], summary: 'Active categories with their published product counts', response: { 200: z.object({ data: z.array(category) }) } } },
    (_request, reply) => cached(reply, z.object({ data: z.array(category) }), '/categories', async () => ({ data: await categories.listCategories(app.db, 'public') })),
  );
}

async function productPage(app: FastifyInstance, slug: string, viewer: products.Viewer) {
  const row = await products.getPublicProductBySlug(app.db, slug, viewer);
  const [presented, plans, related] = await Promise.all([
    products.presentOne(app.db, row, 'public'),
    plansService.listPlans(app.db, row.id, { activeOnly: true }),
    products.relatedProducts(app.db, row),
  ]);
  return { ...presented, descriptionHtml: renderMarkdown(row.description), contentHtml: renderMarkdown(row.content), plans, related };
}

/** The admin product workspace. */
export async function catalogAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const admin = { access: 'admin' as const };

  app.get('/products', { config: admin, schema: { tags: ['admin'], querystring: adminListProductsQuery, response: { 200: adminProductList } } },
    async (request) => products.listAdminProducts(app.db, request.query));

  app.post('/products', { config: admin, schema: { tags: ['admin'], summary: 'Create a product', body: createProductBody, response: { 201: adminProduct } } },
    async (request, reply) => reply.status(201).send(await products.createProduct(app.db, request.body, request.actor)));

  app.get('/products/:id', { config: admin, schema: { tags: ['admin'], params: z.object({ id }), response: { 200: adminProduct } } },
    async (request) => products.getAdminProduct(app.db, request.params.id));

  app.patch('/products/:id', { config: admin, schema: { tags: ['admin'], params: z.object({ id }), body: updateProductBody, response: { 200: adminProduct } } },
    async (request) => products.updateProduct(app.db, request.params.id, request.body, request.actor));

  app.delete('/products/:id', { config: admin, schema: { tags: ['admin'], params: z.object({ id }) } },
    async (request, reply) => {
      const fileKeys = await products.deleteProduct(app.db, request.params.id, request.actor);
      // Files go once the rows are gone for good; a failure leaves an orphan file, never a broken source.
      await Promise.all(fileKeys.map((key) => app.storage.delete(key).catch((error) => request.log.warn({ err: error, key }, 'could not delete a file'))));
      return reply.status(204).send();
    });

  app.post('/products/bulk', { config: admin, schema: { tags: ['admin'], summary: 'Publish, archive… many products', body: bulkStatusBody, response: { 200: z.object({ updated: z.number() }) } } },
    async (request) => products.setStatusInBulk(app.db, request.body, request.actor));

  app.get('/categories', { config: admin, schema: { tags: ['admin'], response: { 200: z.object({ data: z.array(category) }) } } },
    async () => ({ data: await categories.listCategories(app.db, 'admin') }));

  app.post('/categories', { config: admin, schema: { tags: ['admin'], body: categoryBody, response: { 201: category } } },
    async (request, reply) => reply.status(201).send(await categories.createCategory(app.db, request.body, request.actor)));

  app.patch('/categories/:id', { config: admin, schema: { tags: ['admin'], params: z.object({ id }), body: categoryBody.partial(), response: { 200: category } } },
    async (request) => categories.updateCategory(app.db, request.params.id, request.body, request.actor));

  app.delete('/categories/:id', { config: admin, schema: { tags: ['admin'], params: z.object({ id }) } },
    async (request, reply) => {
      await categories.deleteCategory(app.db, request.params.id, request.actor);
      return reply.status(204).send();
    });

  app.get('/products/:id/plans', { config: admin, schema: { tags: ['admin'], params: z.object({ id }), response: { 200: z.object({ data: z.array(plan) }) } } },
    async (request) => {
      await products.getProductById(app.db, request.params.id);
      return { data: await plansService.listPlans(app.db, request.params.id, { activeOnly: false }) };
    });

  app.post('/products/:id/plans', { config: admin, schema: { tags: ['admin'], params: z.object({ id }), body: planBody, response: { 201: plan } } },
    async (request, reply) => reply.status(201).send(await plansService.createPlan(app.db, request.params.id, request.body, request.actor)));

  app.post('/products/:id/plans/reorder', { config: admin, schema: { tags: ['admin'], params: z.object({ id }), body: z.strictObject({ planIds: z.array(id).max(100) }), response: { 200: z.object({ data: z.array(plan) }) } } },
    async (request) => ({ data: await plansService.reorderPlans(app.db, request.params.id, request.body.planIds, request.actor) }));

  app.patch('/plans/:planId', { config: admin, schema: { tags: ['admin'], params: z.object({ planId: id }), body: updatePlanBody, response: { 200: plan } } },
    async (request) => plansService.updatePlan(app.db, request.params.planId, request.body, request.actor));

  app.delete('/plans/:planId', { config: admin, schema: { tags: ['admin'], params: z.object({ planId: id }) } },
    async (request, reply) => {
      await plansService.deletePlan(app.db, request.params.planId, request.actor);
      return reply.status(204).send();
    });

  app.post('/markdown/preview', { config: admin, schema: { tags: ['admin'], summary: 'Render markdown as the storefront will', body: z.strictObject({ markdown: z.string().max(200_000) }), response: { 200: z.object({ html: z.string() }) } } },
    async (request) => ({ html: renderMarkdown(request.body.markdown) }));
}
