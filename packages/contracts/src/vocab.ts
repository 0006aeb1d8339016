// The platform's vocabulary as plain constants and types: no zod, so the storefront can import it without
// shipping a validator to every visitor. The zod schemas built on these live in catalog.ts and admin.ts, which
// re-export everything here (import from '@mintreu/contracts' or, zod-free, from '@mintreu/contracts/vocab').

// ---- Catalog (API.md, "Catalog") ------------------------------------------------------------------------------

export const productTypes = ['downloadable', 'api_service', 'api_referral', 'freebie', 'demo'] as const
export type ProductType = typeof productTypes[number]

export const productStatuses = ['draft', 'review', 'published', 'archived'] as const
export type ProductStatus = typeof productStatuses[number]

export const licenseTypes = [
  'free_single_use', 'free_attribution', 'free_unlimited', 'commercial_single', 'commercial_team',
  'commercial_enterprise', 'api_subscription', 'demo',
] as const
export type LicenseType = typeof licenseTypes[number]

export const sourceProviders = ['local', 's3', 'github', 'gitlab', 'direct_url'] as const
export type SourceProvider = typeof sourceProviders[number]

export const billingCycles = ['monthly', 'yearly', 'lifetime', 'one_time'] as const
export type BillingCycle = typeof billingCycles[number]

export const productSorts = ['newest', 'price_asc', 'price_desc', 'popular', 'rating'] as const
export type ProductSort = typeof productSorts[number]

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

/** Each licence type in plain words, for buyers and sellers alike (upstream LicenseType table). */
export const licenseTypeInfo: Record<LicenseType, { label: string; description: string }> = {
  free_single_use: { label: 'Free licence — single use', description: 'One non-commercial use.' },
  free_attribution: { label: 'Free licence — with attribution', description: 'Unlimited use, with a credit to Mintreu.' },
  free_unlimited: { label: 'Free licence — unlimited', description: 'Unlimited non-commercial use.' },
  commercial_single: { label: 'Commercial licence — 1 project', description: 'Use it in one commercial project.' },
  commercial_team: { label: 'Commercial licence — up to 5 projects', description: 'Up to five projects within the same team.' },
  commercial_enterprise: { label: 'Commercial licence — unlimited', description: 'Unlimited use across an organisation.' },
  api_subscription: { label: 'API subscription', description: 'API access with the rate limits of the plan.' },
  demo: { label: 'Demo licence — 30-day trial', description: 'A trial that expires after 30 days.' },
}

// ---- Admin (API.md, "Kill switches and flags") -------------------------------------------------------------------

export const roles = ['customer', 'support', 'admin'] as const
export type Role = typeof roles[number]

export const killSwitchNames = ['payments', 'downloads', 'licensing', 'referrals', 'ai', 'support'] as const
export type KillSwitchName = typeof killSwitchNames[number]
