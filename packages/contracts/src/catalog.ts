// Catalog vocabulary shared by the API and the web app (API.md, "Catalog").
import { z } from 'zod'

export const productTypes = ['downloadable', 'api_service', 'api_referral', 'freebie', 'demo'] as const
export const productTypeSchema = z.enum(productTypes)
export type ProductType = z.infer<typeof productTypeSchema>

export const productStatuses = ['draft', 'review', 'published', 'archived'] as const
export const productStatusSchema = z.enum(productStatuses)
export type ProductStatus = z.infer<typeof productStatusSchema>

export const licenseTypes = [
  'free_single_use', 'free_attribution', 'free_unlimited', 'commercial_single', 'commercial_team',
  'commercial_enterprise', 'api_subscription', 'demo',
] as const
export const licenseTypeSchema = z.enum(licenseTypes)
export type LicenseType = z.infer<typeof licenseTypeSchema>

export const sourceProviders = ['local', 's3', 'github', 'gitlab', 'direct_url'] as const
export const sourceProviderSchema = z.enum(sourceProviders)
export type SourceProvider = z.infer<typeof sourceProviderSchema>

export const billingCycles = ['monthly', 'yearly', 'lifetime', 'one_time'] as const
export const billingCycleSchema = z.enum(billingCycles)
export type BillingCycle = z.infer<typeof billingCycleSchema>

export const productSorts = ['newest', 'price_asc', 'price_desc', 'popular', 'rating'] as const
export const productSortSchema = z.enum(productSorts)

/** What each product type is and allows (upstream ProductType predicates). */
export const productTypeRules: Record<ProductType, {
  label: string
  /** Sold through plans (API products). */
  hasPlans: boolean
  /** Files are delivered through masked, expiring download links. */
  usesSecureDownload: boolean
  /** The GitHub link is shown publicly (open source). */
  showsPublicSource: boolean
  defaultLicense: LicenseType
}> = {
  downloadable: { label: 'Downloadable', hasPlans: false, usesSecureDownload: true, showsPublicSource: false, defaultLicense: 'commercial_single' },
  api_service: { label: 'API Service', hasPlans: true, usesSecureDownload: false, showsPublicSource: false, defaultLicense: 'api_subscription' },
  api_referral: { label: 'API Referral', hasPlans: true, usesSecureDownload: false, showsPublicSource: false, defaultLicense: 'api_subscription' },
  freebie: { label: 'Freebie', hasPlans: false, usesSecureDownload: false, showsPublicSource: true, defaultLicense: 'free_unlimited' },
  demo: { label: 'Demo', hasPlans: false, usesSecureDownload: true, showsPublicSource: false, defaultLicense: 'demo' },
}

/**
 * Free ⇔ a freebie, or price 0 on a product that is not sold through plans. (Upstream counted API
 * products as free because their own price is 0; they are paid for per plan.)
 */
export const isFreeProduct = (product: { price: number; type: ProductType }) =>
  product.type === 'freebie' || (product.price <= 0 && !productTypeRules[product.type].hasPlans)

export const slugSchema = z
  .string()
  .trim()
  .min(2)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Use lower-case letters, digits and single dashes')
