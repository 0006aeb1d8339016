import {
  billingCycleSchema, licenseTypeSchema, productSortSchema, productStatusSchema, productTypeSchema, slugSchema,
} from '@mintreu/contracts';
import { z } from 'zod';
import { listMeta } from '../users/schema.js';

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'Use an http(s) URL' })
  .max(2000);
/** An image is an uploaded `/media/…` path or an http(s) URL. */
const imageRef = z.union([z.string().regex(/^\/media\/[\w.-]+$/, 'Use an uploaded image or an http(s) URL'), httpUrl]);
const jsonObject = z.record(z.string(), z.unknown(), { error: 'Must be a JSON object' });
const currency = z.string().regex(/^[A-Z]{3}$/, 'Use an ISO 4217 code such as INR');
const money = z.number().int('Money is an integer number of minor units (paise, cents)').min(0).max(1_000_000_000);

export const categoryRef = z.object({ id: z.string(), slug: z.string(), name: z.string() });

export const plan = z.object({
  id: z.string(),
  productId: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  price: z.number(),
  currency: z.string(),
  billingCycle: billingCycleSchema,
  requestsPerMinute: z.number().nullable(),
  requestsPerDay: z.number().nullable(),
  requestsPerMonth: z.number().nullable(),
  features: z.array(z.string()),
  limits: z.record(z.string(), z.number()),
  isPopular: z.boolean(),
  isActive: z.boolean(),
  sortOrder: z.number(),
});

export const product = z.object({
  id: z.string(),
  slug: z.string(),
  title: z.string(),
  shortDescription: z.string().nullable(),
  description: z.string().nullable(),
  content: z.string().nullable().optional(),
  image: z.string().nullable(),
  price: z.number(),
  currency: z.string(),
  category: z.string().nullable(),
  categories: z.array(categoryRef),
  type: productTypeSchema,
  version: z.string().nullable(),
  status: productStatusSchema,
  featured: z.boolean(),
  downloads: z.number(),
  rating: z.number(),
  demoUrl: z.string().nullable(),
  githubUrl: z.string().nullable(),
  documentationUrl: z.string().nullable(),
  requiresAuth: z.boolean(),
  defaultLicense: licenseTypeSchema,
  meta: jsonObject,
  apiConfig: jsonObject,
  isFree: z.boolean(),
  publishedAt: z.date().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const productDetail = product.extend({
  descriptionHtml: z.string(),
  contentHtml: z.string(),
  plans: z.array(plan),
  related: z.array(product),
});

export const adminProduct = product.extend({ sourceCount: z.number(), planCount: z.number() });

export const productList = z.object({ data: z.array(product), meta: listMeta });
export const adminProductList = z.object({ data: z.array(adminProduct), meta: listMeta });

const pageQuery = {
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  perPage: z.coerce.number().int().min(1).max(48).default(12),
};
const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const listProductsQuery = z.object({
  search: z.string().trim().max(200).optional(),
  category: z.string().max(120).optional(),
  type: productTypeSchema.optional(),
  free: booleanQuery.optional(),
  featured: booleanQuery.optional(),
  sort: productSortSchema.optional(),
  ...pageQuery,
});

export const adminListProductsQuery = z.object({
  search: z.string().trim().max(200).optional(),
  status: productStatusSchema.optional(),
  type: productTypeSchema.optional(),
  category: z.string().max(120).optional(),
  sort: z.enum(['newest', 'updated', 'title', 'price_asc', 'price_desc']).default('newest'),
  page: pageQuery.page,
  perPage: z.coerce.number().int().min(1).max(100).default(20),
});

const productFields = {
  title: z.string().trim().min(2).max(200),
  slug: slugSchema,
  shortDescription: z.string().trim().max(160).nullable(),
  description: z.string().max(100_000).nullable(),
  content: z.string().max(200_000).nullable(),
  image: imageRef.nullable(),
  price: money,
  currency,
  type: productTypeSchema,
  status: productStatusSchema,
  version: z.string().trim().max(50).nullable(),
  featured: z.boolean(),
  demoUrl: httpUrl.nullable(),
  githubUrl: httpUrl.nullable(),
  documentationUrl: httpUrl.nullable(),
  requiresAuth: z.boolean(),
  defaultLicense: licenseTypeSchema,
  meta: jsonObject,
  apiConfig: jsonObject,
  categoryIds: z.array(z.string().max(64)).max(20),
  rating: z.number().min(0).max(5),
  downloads: z.number().int().min(0),
};

const productFieldsSchema = z.strictObject(productFields);
export const createProductBody = productFieldsSchema.partial().required({ title: true, type: true, price: true });
export const updateProductBody = productFieldsSchema
  .partial()
  .refine((body) => Object.keys(body).length > 0, 'Change at least one field');
export type CreateProductInput = z.infer<typeof createProductBody>;
export type UpdateProductInput = z.infer<typeof updateProductBody>;

export const bulkStatusBody = z.strictObject({
  ids: z.array(z.string().max(64)).min(1).max(200),
  status: productStatusSchema,
});

export const category = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  parentId: z.string().nullable(),
  sortOrder: z.number(),
  isActive: z.boolean(),
  productCount: z.number(),
});

export const categoryBody = z.strictObject({
  name: z.string().trim().min(2).max(80),
  slug: slugSchema.optional(),
  description: z.string().trim().max(500).nullable().optional(),
  parentId: z.string().max(64).nullable().optional(),
  sortOrder: z.number().int().min(0).max(10_000).optional(),
  isActive: z.boolean().optional(),
});

export const planBody = z.strictObject({
  slug: slugSchema,
  name: z.string().trim().min(1).max(80),
  description: z.string().trim().max(1000).nullable().optional(),
  price: money,
  currency: currency.optional(),
  billingCycle: billingCycleSchema.optional(),
  requestsPerMinute: z.number().int().min(1).nullable().optional(),
  requestsPerDay: z.number().int().min(1).nullable().optional(),
  requestsPerMonth: z.number().int().min(1).nullable().optional(),
  features: z.array(z.string().trim().min(1).max(200)).max(30).optional(),
  limits: z.record(z.string().max(40), z.number().int().min(0)).optional(),
  isPopular: z.boolean().optional(),
  isActive: z.boolean().optional(),
  sortOrder: z.number().int().min(0).max(10_000).optional(),
});
export const updatePlanBody = planBody.partial().refine((b) => Object.keys(b).length > 0, 'Change at least one field');
