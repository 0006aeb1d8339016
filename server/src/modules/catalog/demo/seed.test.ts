import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers.js';
import { productSources } from '../tables.js';
import { seedDemoCatalog } from './seed.js';

async function read(stream: NodeJS.ReadableStream) {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('demo catalogue', () => {
  let t: TestApp & { dropDatabase(): Promise<void> };
  const storageDir = mkdtempSync(join(tmpdir(), 'mintreu-seed-'));

  beforeAll(async () => {
    t = await createTestApp({ env: { STORAGE_DIR: storageDir } });
  });
  afterAll(async () => {
    await t.close();
    await t.dropDatabase();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('seeds every product type once, published, with images, files and plans', async () => {
    expect(await seedDemoCatalog(t.app)).toBe(13);
    expect(await seedDemoCatalog(t.app)).toBe(0); // only on an empty catalogue

    const { data, meta } = (await t.app.inject({ method: 'GET', url: '/api/products?perPage=48' })).json();
    expect(meta.total).toBe(13);
    expect(new Set(data.map((p: { type: string }) => p.type))).toEqual(new Set(['downloadable', 'api_service', 'api_referral', 'freebie', 'demo']));
    for (const product of data) expect(product.image).toMatch(/^\/media\/[0-9a-f]{64}\.png$/);

    const cover = await read(await t.app.storage.createReadStream(data[0].image.slice(1)));
    expect(cover.subarray(1, 4).toString()).toBe('PNG');

    const api = (await t.app.inject({ method: 'GET', url: '/api/products/pulsecart-commerce-api' })).json();
    expect(api.plans.map((p: { slug: string }) => p.slug)).toEqual(['launch', 'growth', 'scale']);
    expect(api.plans[1]).toMatchObject({ price: 24900, requestsPerMinute: 360, isPopular: true });

    const categories = (await t.app.inject({ method: 'GET', url: '/api/categories' })).json().data;
    expect(categories.find((c: { slug: string }) => c.slug === 'vue')).toMatchObject({ parentId: expect.any(String) });
  });

  it('stores real zip archives whose recorded size and SHA-256 match the bytes', async () => {
    const { data } = (await t.app.inject({ method: 'GET', url: '/api/products?search=vue%20admin' })).json();
    const [source] = await t.app.db.select().from(productSources).where(eq(productSources.productId, data[0].id));
    expect(source).toMatchObject({ isPrimary: true, fileName: 'vue-3-admin-dashboard-2.4.0.zip' });
    const bytes = await read(await t.app.storage.createReadStream(source!.sourceUrl));
    expect(bytes.length).toBe(source!.fileSize);
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(source!.sha256);
    expect(bytes.readUInt32LE(0)).toBe(0x04034b50); // local file header
    expect(bytes.readUInt32LE(bytes.length - 22)).toBe(0x06054b50); // end of central directory
    expect(bytes.readUInt16LE(bytes.length - 22 + 10)).toBe(5); // five entries
    const apiSources = (await t.app.inject({ method: 'GET', url: '/api/products/pulsecart-commerce-api' })).json();
    expect(apiSources.id).toBeDefined();
  });
});
