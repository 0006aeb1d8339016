import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAdmin, createTestApp, signUp, type TestApp } from '../../../test/helpers.js';

describe('catalogue', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  let admin: Awaited<ReturnType<typeof asAdmin>>;
  const ids: Record<string, string> = {};

  const post = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url, headers: admin.headers, payload: payload as object });
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
  async function product(body: Record<string, unknown>) {
    const response = await post('/api/admin/products', { status: 'published', ...body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await asAdmin(t.app);
    const frontend = (await post('/api/admin/categories', { name: 'Frontend' })).json();
    const vue = (await post('/api/admin/categories', { name: 'Vue', parentId: frontend.id })).json();
    const games = (await post('/api/admin/categories', { name: 'Games' })).json();
    ids.frontend = frontend.id;
    ids.vue = vue.id;
    ids.games = games.id;
    ids.dashboard = (await product({
      title: 'Vue Dashboard Template', shortDescription: 'An admin dashboard', type: 'downloadable', price: 49900,
      categoryIds: [vue.id], downloads: 10, rating: 4.5, description: 'Charts and **tables**.',
    })).id;
    await product({ title: 'Analytics Starter', shortDescription: 'Includes a dashboard page', type: 'downloadable', price: 9900, categoryIds: [frontend.id], downloads: 50 });
    await product({ title: 'Snake Game', shortDescription: 'Classic arcade', description: 'No dashboard here except in the text', type: 'freebie', price: 0, categoryIds: [games.id], downloads: 500, githubUrl: 'https://github.com/acme/snake' });
    await product({ title: 'Weather API', type: 'api_service', price: 0, apiConfig: { baseUrl: 'https://upstream.internal', auth: 'bearer' } });
    await product({ title: 'Secret Draft Dashboard', type: 'downloadable', price: 100, status: 'draft' });
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
  });

  it('lists published products only, with the contract fields', async () => {
    const { data, meta } = (await get('/api/products?perPage=48')).json();
    expect(meta.total).toBe(4);
    expect(data.map((p: { title: string }) => p.title)).not.toContain('Secret Draft Dashboard');
    expect(Object.keys(data[0])).toEqual(expect.arrayContaining([
      'id', 'slug', 'title', 'shortDescription', 'description', 'content', 'image', 'price', 'currency', 'category', 'type',
      'version', 'status', 'featured', 'downloads', 'rating', 'demoUrl', 'githubUrl', 'documentationUrl', 'requiresAuth',
      'defaultLicense', 'meta', 'apiConfig', 'createdAt', 'updatedAt',
    ]));
  });

  it('ranks search results: a title match before a description match, and matches word prefixes', async () => {
    const { data } = (await get('/api/products?search=dashboard')).json();
    expect(data.map((p: { title: string }) => p.title)).toEqual(['Vue Dashboard Template', 'Analytics Starter', 'Snake Game']);
    const prefix = (await get('/api/products?search=dashb')).json();
    expect(prefix.data[0].title).toBe('Vue Dashboard Template');
    const nothing = (await get('/api/products?search=zzzzqqq')).json();
    expect(nothing).toEqual({ data: [], meta: { page: 1, perPage: 12, total: 0 } });
    const punctuation = (await get(`/api/products?search=${encodeURIComponent("'&|!():*\\")}`)).json();
    expect(punctuation.meta.total).toBe(4); // no words: no search filter, no SQL error
  });

  it('filters by category (with sub-categories), type, price and sorts', async () => {
    const frontend = (await get('/api/products?category=frontend&sort=price_asc')).json();
    expect(frontend.data.map((p: { title: string }) => p.title)).toEqual(['Analytics Starter', 'Vue Dashboard Template']);
    expect((await get('/api/products?category=vue')).json().meta.total).toBe(1);
    expect((await get('/api/products?category=unknown')).json().meta.total).toBe(0);
    expect((await get('/api/products?type=freebie')).json().data[0].title).toBe('Snake Game');
    // API products are sold per plan: never "free" because their own price is 0.
    const free = (await get('/api/products?free=true')).json().data.map((p: { title: string; isFree: boolean }) => [p.title, p.isFree]);
    expect(free).toEqual([['Snake Game', true]]);
    expect((await get('/api/products?free=false')).json().meta.total).toBe(3);
    expect((await get('/api/products/weather-api')).json().isFree).toBe(false);
    expect((await get('/api/products?sort=popular')).json().data[0].title).toBe('Snake Game');
    expect((await get('/api/products?sort=rating')).json().data[0].title).toBe('Vue Dashboard Template');
    const paged = (await get('/api/products?perPage=3&page=2&sort=price_desc')).json();
    expect(paged.meta).toEqual({ page: 2, perPage: 3, total: 4 });
    expect(paged.data).toHaveLength(1);
  });

  it('shows a product page with sanitised HTML, plans and related products; hides drafts', async () => {
    const page = (await get('/api/products/vue-dashboard-template')).json();
    expect(page.descriptionHtml).toContain('<strong>tables</strong>');
    expect(page.category).toBe('vue');
    expect(page.plans).toEqual([]);
    expect((await get('/api/products/secret-draft-dashboard')).statusCode).toBe(404);
    expect((await get('/api/products/secret-draft-dashboard', admin.headers)).statusCode).toBe(200);
    expect((await get('/api/products/nope')).json().error.code).toBe('NOT_FOUND');
  });

  it('shows GitHub links only for freebies and never an upstream base URL', async () => {
    const snake = (await get('/api/products/snake-game')).json();
    expect(snake.githubUrl).toBe('https://github.com/acme/snake');
    const api = (await get('/api/products/weather-api')).json();
    expect(api.apiConfig).toEqual({ auth: 'bearer' });
    expect(JSON.stringify((await get('/api/products?perPage=48')).json())).not.toContain('upstream.internal');
    const adminView = (await t.app.inject({ method: 'GET', url: `/api/admin/products?search=weather`, headers: admin.headers })).json();
    expect(adminView.data[0].apiConfig.baseUrl).toBe('https://upstream.internal');
  });

  it('refuses bad input with the field named, and changes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ title: 'X1', type: 'software', price: 1 }, 'body.type'],
      [{ title: 'X2', type: 'downloadable', price: -5 }, 'body.price'],
      [{ title: 'X3', type: 'downloadable', price: 1.5 }, 'body.price'],
      [{ title: 'X4', type: 'downloadable', price: 1, meta: '{not json' }, 'body.meta'],
      [{ title: 'X5', type: 'downloadable', price: 1, meta: [1, 2] }, 'body.meta'],
      [{ title: 'X6', type: 'downloadable', price: 1, status: 'Published' }, 'body.status'],
      [{ title: 'X7', type: 'downloadable', price: 1, demoUrl: 'javascript:alert(1)' }, 'body.demoUrl'],
      [{ title: 'X8', type: 'downloadable', price: 1, slug: 'Bad Slug' }, 'body.slug'],
      [{ title: 'X9', type: 'freebie', price: 500 }, 'body.price'],
    ];
    for (const [body, field] of cases) {
      const response = await post('/api/admin/products', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.details.map((d: { path: string }) => d.path)).toContain(field);
    }
    const duplicate = await post('/api/admin/products', { title: 'Again', slug: 'snake-game', type: 'freebie', price: 0 });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().error.details).toEqual([{ path: 'body.slug', message: 'The slug "snake-game" is taken' }]);
    expect((await get('/api/admin/products?search=X1', admin.headers)).json().meta.total).toBe(0);
  });

  it('derives a free slug and the default licence from the type', async () => {
    const a = await product({ title: 'Vue Dashboard Template', type: 'demo', price: 0 });
    expect(a.slug).toBe('vue-dashboard-template-2');
    expect(a.defaultLicense).toBe('demo');
  });

  it('edits, bulk-publishes and deletes with audit events', async () => {
    const draft = (await post('/api/admin/products', { title: 'Icon Pack', type: 'downloadable', price: 1000 })).json();
    expect(draft.status).toBe('draft');
    const edited = await t.app.inject({ method: 'PATCH', url: `/api/admin/products/${draft.id}`, headers: admin.headers, payload: { price: 1500, categoryIds: [ids.frontend!] } });
    expect(edited.json()).toMatchObject({ price: 1500, category: 'frontend' });
    const bulk = await post('/api/admin/products/bulk', { ids: [draft.id, ids.dashboard], status: 'published' });
    expect(bulk.json()).toEqual({ updated: 1 });
    expect((await get(`/api/products/${draft.slug}`)).json().publishedAt).toEqual(expect.any(String));
    const audit = (await get(`/api/admin/audit?entityId=${draft.id}`, admin.headers)).json().data;
    expect(audit.map((e: { action: string }) => e.action)).toEqual(['product.update', 'product.update', 'product.create']);
    expect(audit[1]).toMatchObject({ before: { price: 1000, categories: [] }, after: { price: 1500, categories: ['frontend'] } });
    expect((await get(`/api/products/${draft.slug}`)).json().price).toBe(1500); // cached now
    expect((await t.app.inject({ method: 'DELETE', url: `/api/admin/products/${draft.id}`, headers: admin.headers })).statusCode).toBe(204);
    expect((await get(`/api/products/${draft.slug}`)).statusCode).toBe(404); // not the cached copy
    expect((await get('/api/products?perPage=48')).json().data.map((p: { id: string }) => p.id)).not.toContain(draft.id);
  });

  it('keeps plans to API products, ordered as the admin says', async () => {
    const weather = (await get('/api/admin/products?search=weather', admin.headers)).json().data[0];
    const mk = (slug: string, price: number) => post(`/api/admin/products/${weather.id}/plans`, { slug, name: slug, price, requestsPerMinute: 60, features: ['JSON'] });
    const starter = (await mk('starter', 9900)).json();
    const pro = (await mk('pro', 24900)).json();
    const taken = await mk('pro', 1);
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.details[0].path).toBe('body.slug');
    expect((await post(`/api/admin/products/${ids.dashboard}/plans`, { slug: 'basic', name: 'Basic', price: 1 })).statusCode).toBe(409);
    expect([starter.sortOrder, pro.sortOrder]).toEqual([0, 1]); // new plans go last
    const reordered = await post(`/api/admin/products/${weather.id}/plans/reorder`, { planIds: [pro.id, starter.id] });
    expect(reordered.json().data.map((p: { slug: string }) => p.slug)).toEqual(['pro', 'starter']);
    expect((await post(`/api/admin/products/${weather.id}/plans/reorder`, { planIds: [pro.id] })).statusCode).toBe(400);
    await t.app.inject({ method: 'PATCH', url: `/api/admin/plans/${starter.id}`, headers: admin.headers, payload: { isActive: false } });
    const publicPlans = (await get('/api/products/weather-api/plans')).json().data;
    expect(publicPlans.map((p: { slug: string }) => p.slug)).toEqual(['pro']);
    expect((await get('/api/products/weather-api')).json().plans).toHaveLength(1);
  });

  it('keeps the category tree sound', async () => {
    const loop = await t.app.inject({ method: 'PATCH', url: `/api/admin/categories/${ids.frontend}`, headers: admin.headers, payload: { parentId: ids.vue } });
    expect(loop.statusCode).toBe(400);
    const clash = await post('/api/admin/categories', { name: 'Frontend', slug: 'frontend-2' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.details).toEqual([{ path: 'body.name', message: 'A category named "Frontend" exists' }]);
    expect((await post('/api/admin/categories', { name: 'Frontend' })).json().error.details[0].path).toBe('body.slug');
    const list = (await get('/api/categories')).json().data;
    expect(list.find((c: { slug: string }) => c.slug === 'games').productCount).toBe(1);
    // A parent counts its sub-categories' products, each once: as many as ?category= lists.
    const frontend = list.find((c: { slug: string }) => c.slug === 'frontend');
    expect(frontend.productCount).toBe((await get('/api/products?category=frontend')).json().meta.total);
    expect(frontend.productCount).toBe(2);
  });

  it('renders markdown previews for admins only, and serves SEO files', async () => {
    const preview = await post('/api/admin/markdown/preview', { markdown: '# Hi <script>x</script>' });
    expect(preview.json().html).toBe('<h1>Hi </h1>\n');
    const customer = await signUp(t.app);
    expect((await t.app.inject({ method: 'POST', url: '/api/admin/markdown/preview', headers: customer.headers, payload: { markdown: 'x' } })).statusCode).toBe(403);
    const sitemap = await get('/sitemap.xml');
    expect(sitemap.headers['content-type']).toContain('application/xml');
    expect(sitemap.body).toContain('<loc>http://localhost:3000/products/snake-game</loc>');
    expect(sitemap.body).not.toContain('secret-draft');
    expect((await get('/robots.txt')).body).toContain('Sitemap: http://localhost:3000/sitemap.xml');
  });
});
