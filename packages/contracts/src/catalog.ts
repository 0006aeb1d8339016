// Catalog schemas shared by the API and the web app (API.md, "Catalog"); the vocabulary itself is in vocab.ts.
import { z } from './zod.js'
import {
  billingCycles, licenseTypes, productSorts, productStatuses, productTypes, sourceProviders,
} from './vocab.js'

export {
  billingCycles, isFreeProduct, licenseTypeInfo, licenseTypes, productSorts, productStatuses, productTypeRules,
  productTypes, sourceProviders,
} from './vocab.js'
export type {
  BillingCycle, LicenseType, ProductSort, ProductStatus, ProductType, SourceProvider,
} from './vocab.js'

export const productTypeSchema = z.enum(productTypes)
export const productStatusSchema = z.enum(productStatuses)
export const licenseTypeSchema = z.enum(licenseTypes)
export const sourceProviderSchema = z.enum(sourceProviders)
export const billingCycleSchema = z.enum(billingCycles)
export const productSortSchema = z.enum(productSorts)

export const slugSchema = z
  .string()
  .trim()
  .min(2)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Use lower-case letters, digits and single dashes')
