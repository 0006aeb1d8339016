// The catalogue's response shapes as they arrive over the wire (timestamps are ISO strings).
import type { BillingCycle, LicenseType, ProductStatus, ProductType } from './vocab.js'

export interface CategoryRef {
  id: string
  slug: string
  name: string
}

export interface Product {
  id: string
  slug: string
  title: string
  shortDescription: string | null
  description: string | null
  content?: string | null
  image: string | null
  /** Minor units of `currency` (49900 INR is ₹499.00). */
  price: number
  currency: string
  /** Slug of the first category. */
  category: string | null
  categories: CategoryRef[]
  type: ProductType
  version: string | null
  status: ProductStatus
  featured: boolean
  downloads: number
  rating: number
  demoUrl: string | null
  /** Public responses: only for freebies. */
  githubUrl: string | null
  documentationUrl: string | null
  requiresAuth: boolean
  defaultLicense: LicenseType
  meta: Record<string, unknown>
  /** Public responses never carry the upstream `baseUrl`. */
  apiConfig: Record<string, unknown>
  isFree: boolean
  publishedAt: string | null
  createdAt: string
  updatedAt: string
}

export interface Plan {
  id: string
  productId: string
  slug: string
  name: string
  description: string | null
  price: number
  currency: string
  billingCycle: BillingCycle
  /** null = unlimited */
  requestsPerMinute: number | null
  requestsPerDay: number | null
  requestsPerMonth: number | null
  features: string[]
  limits: Record<string, number>
  isPopular: boolean
  isActive: boolean
  sortOrder: number
}

export interface ProductSource {
  id: string
  provider: string
  name: string
  description: string | null
  version: string | null
  fileName: string | null
  fileSize: number | null
  sha256: string | null
  isPrimary: boolean
  isActive: boolean
  lastVerifiedAt: string | null
}

export interface Category {
  id: string
  slug: string
  name: string
  description: string | null
  parentId: string | null
  sortOrder: number
  productCount: number
}
