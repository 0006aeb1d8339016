import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { productTypeRules } from '@mintreu/contracts';
import type { FastifyInstance } from 'fastify';
import type { Storage } from '../../../adapters/storage/index.js';
import { systemActor } from '../../../lib/actor.js';
import { recordAudit } from '../../../lib/audit.js';
import { newId } from '../../../lib/ids.js';
import { createCategory } from '../categories.js';
import { createPlan } from '../plans.js';
import { createProduct } from '../products.js';
import { categories, products, productSources } from '../tables.js';
import { demoCategories, demoProducts, type DemoProduct } from './data.js';
import { coverImage } from './png.js';
import { zipArchive } from './zip.js';

/**
 * First run on an empty catalogue: a dozen products across all five types, with generated cover
 * images, real zip archives as their files, and plans for the API products — so a new install has
 * something to browse, buy and download. Does nothing once any product exists.
 */
export async function seedDemoCatalog(app: FastifyInstance): Promise<number> {
  // Only on a catalogue nobody has touched: not even a category (a half-finished earlier seed counts).
  const [existing] = await app.db.select({ id: products.id }).from(products).limit(1);
  const [category] = await app.db.select({ id: categories.id }).from(categories).limit(1);
  if (existing || category) return 0;
  const categoryIds = new Map<string, string>();
  for (const [index, [name, parent]] of demoCategories.entries()) {
    const category = await createCategory(app.db, { name, parentId: parent ? categoryIds.get(parent) : null, sortOrder: index }, systemActor);
    categoryIds.set(name, category.id);
  }
  for (const demo of demoProducts) {
    const image = await storeCover(app.storage, demo.title);
    const product = await createProduct(
      app.db,
      {
        title: demo.title, type: demo.type, price: demo.price, status: 'published', image,
        shortDescription: demo.shortDescription, description: demo.description, content: demo.content ?? null,
        version: demo.version ?? null, featured: demo.featured ?? false, requiresAuth: demo.requiresAuth ?? false,
        defaultLicense: demo.defaultLicense ?? productTypeRules[demo.type].defaultLicense,
        downloads: demo.downloads, rating: demo.rating, githubUrl: demo.githubUrl ?? null, demoUrl: demo.demoUrl ?? null,
        documentationUrl: demo.documentationUrl ?? null, apiConfig: demo.apiConfig ?? {},
        categoryIds: demo.categories.map((name) => categoryIds.get(name)!),
      },
      systemActor,
    );
    if (demo.archiveMb) await addArchive(app, product, demo);
    for (const [index, plan] of (demo.plans ?? []).entries()) {
      await createPlan(app.db, product.id, {
        slug: plan.slug, name: plan.name, price: plan.price, billingCycle: plan.billingCycle, sortOrder: index,
        requestsPerMinute: plan.perMinute, requestsPerDay: plan.perDay, requestsPerMonth: plan.perMonth,
        // "3 sites" in the plan's description is a limit, shown once from `limits`.
        features: plan.features.filter((f) => !sitesFeature.test(f)),
        limits: { sites: Number(sitesFeature.exec(plan.features.find((f) => sitesFeature.test(f)) ?? '1 site')?.[1] ?? 1) },
        isPopular: plan.popular ?? false,
      }, systemActor);
    }
  }
  return demoProducts.length;
}

/** Content-addressed like uploaded media: the key is the hash of the bytes. */
const sitesFeature = /^(\d+) sites?$/;

async function storeCover(storage: Storage, title: string): Promise<string> {
  const png = coverImage(title);
  const key = `media/${createHash('sha256').update(png).digest('hex')}.png`;
  await storage.put(key, Readable.from([png]), { contentType: 'image/png' });
  return `/${key}`;
}

/** A real zip: readme, licence, changelog, a source file and some assets, a few MB in all. */
async function addArchive(app: FastifyInstance, product: { id: string; slug: string; title: string }, demo: DemoProduct) {
  const version = demo.version ?? '1.0.0';
  const fileName = `${product.slug}-${version}.zip`;
  const archive = zipArchive([
    { name: 'README.md', data: Buffer.from(`# ${product.title}\n\n${demo.description}\n\nVersion ${version}.\n`) },
    { name: 'LICENSE.txt', data: Buffer.from(`${product.title} is licensed under the Mintreu ${demo.defaultLicense ?? productTypeRules[demo.type].defaultLicense} licence.\n`) },
    { name: 'CHANGELOG.md', data: Buffer.from(`# Changelog\n\n## ${version}\n- Current release\n`) },
    { name: 'src/index.js', data: Buffer.from(`export const name = ${JSON.stringify(product.title)};\nexport const version = '${version}';\n`) },
    { name: 'assets/bundle.bin', data: randomBytes(Math.round((demo.archiveMb ?? 1) * 1024 * 1024)) },
  ]);
  const sourceId = newId('source');
  const key = `products/${product.id}/${sourceId}/${fileName}`;
  const stored = await app.storage.put(key, Readable.from([archive]), { contentType: 'application/zip' });
  await app.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(productSources)
      .values({
        id: sourceId, productId: product.id, provider: app.storage.driver, name: 'Main release', sourceUrl: key, version,
        fileName, fileSize: stored.size, sha256: stored.sha256, isPrimary: true, isActive: true, lastVerifiedAt: new Date(),
      })
      .returning({ id: productSources.id, name: productSources.name, fileName: productSources.fileName, fileSize: productSources.fileSize });
    await recordAudit(tx, systemActor, { action: 'source.upload', entityType: 'source', entityId: sourceId, after: { ...row, productId: product.id } });
  });
}
