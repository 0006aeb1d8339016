// The admin product workspace's view of the catalog API (API.md "Catalog", docs/catalog-api-notes.md):
// response shapes, labels, money and size formatting, and the calls the admin pages make.
import type { FormError } from '@nuxt/ui'
import {
  productTypeRules, slugSchema,
  type BillingCycle, type LicenseType, type ProductStatus, type ProductType, type SourceProvider,
} from '@mintreu/contracts'
import type { Category, CategoryRef, Plan, Product, ProductSource } from '@mintreu/contracts'
import type { Paginated } from '~/types/api'
import type { ApiError } from '~/utils/api-error'

export type AdminCategoryRef = CategoryRef
export type AdminProduct = Product & { sourceCount?: number; planCount?: number }
export type AdminCategory = Category & { isActive: boolean }
export type AdminPlan = Plan

export interface AdminSource extends Omit<ProductSource, 'provider'> {
  provider: SourceProvider
  lastVerifyError?: string | null
  hasToken?: boolean
  createdAt?: string
  updatedAt?: string
}


export type AdminProductSort = 'newest' | 'updated' | 'title' | 'price_asc' | 'price_desc'

export interface AdminProductQuery {
  search?: string
  status?: ProductStatus
  type?: ProductType
  category?: string
  sort?: AdminProductSort
  page?: number
  perPage?: number
}

/** Everything the product form sends (POST, or the changed subset for PATCH). */
export type AdminProductInput = Partial<Omit<AdminProduct, 'id' | 'category' | 'categories' | 'isFree' | 'publishedAt'
  | 'createdAt' | 'updatedAt' | 'sourceCount' | 'planCount'>> & { categoryIds?: string[] }

export type AdminPlanInput = Partial<Omit<AdminPlan, 'id' | 'productId'>>

export interface AdminCategoryInput {
  name: string
  slug?: string
  description?: string | null
  parentId?: string | null
  sortOrder?: number
  isActive?: boolean
}

/** PATCH body of a source; `sourceUrl` and `token` are write-only (token null removes the stored one). */
export type SourceUpdateInput = Partial<Pick<AdminSource, 'name' | 'description' | 'version' | 'fileName' | 'isPrimary' | 'isActive'>>
  & { sourceUrl?: string; token?: string | null }

export interface RemoteSourceInput {
  provider: 'github' | 'gitlab' | 'direct_url'
  name: string
  description?: string
  sourceUrl: string
  token?: string
  version?: string
  fileName?: string
  isPrimary?: boolean
}

// ——— Vocabulary for people ———

export const catalogCurrencies = ['INR', 'USD', 'EUR'] as const

export const productStatusInfo: Record<ProductStatus, { label: string; color: 'neutral' | 'warning' | 'success' | 'error'; icon: string; description: string }> = {
  draft: { label: 'Draft', color: 'neutral', icon: 'i-lucide-pencil-line', description: 'Only admins can see it.' },
  review: { label: 'In review', color: 'warning', icon: 'i-lucide-eye', description: 'Waiting for a final check; not public yet.' },
  published: { label: 'Published', color: 'success', icon: 'i-lucide-globe', description: 'Listed in the store and buyable.' },
  archived: { label: 'Archived', color: 'error', icon: 'i-lucide-archive', description: 'Hidden from the store; existing buyers keep access.' },
}

export const productTypeInfo: Record<ProductType, { label: string; icon: string; description: string }> = {
  downloadable: { label: productTypeRules.downloadable.label, icon: 'i-lucide-download', description: 'Software, templates or assets delivered through expiring download links.' },
  api_service: { label: productTypeRules.api_service.label, icon: 'i-lucide-server', description: 'An API hosted by the platform, sold through plans; buyers get API keys.' },
  api_referral: { label: productTypeRules.api_referral.label, icon: 'i-lucide-share-2', description: 'A resold third-party API, sold through plans.' },
  freebie: { label: productTypeRules.freebie.label, icon: 'i-lucide-gift', description: 'Free or open source; direct download, GitHub link shown.' },
  demo: { label: productTypeRules.demo.label, icon: 'i-lucide-flask-conical', description: 'A time- or feature-limited trial.' },
}

/** Licence types in plain language: one table for the storefront and the admin panel. */
export { licenseTypeInfo } from '@mintreu/contracts'

export const billingCycleInfo: Record<BillingCycle, { label: string; suffix: string }> = {
  monthly: { label: 'Monthly', suffix: '/ month' },
  yearly: { label: 'Yearly', suffix: '/ year' },
  lifetime: { label: 'Lifetime', suffix: 'once, for life' },
  one_time: { label: 'One-time', suffix: 'one-time' },
}

export const sourceProviderInfo: Record<SourceProvider, { label: string; icon: string }> = {
  local: { label: 'Uploaded file', icon: 'i-lucide-hard-drive' },
  s3: { label: 'S3', icon: 'i-lucide-cloud' },
  github: { label: 'GitHub', icon: 'i-lucide-github' },
  gitlab: { label: 'GitLab', icon: 'i-lucide-gitlab' },
  direct_url: { label: 'Direct URL', icon: 'i-lucide-link' },
}

export const isApiProductType = (type: ProductType) => productTypeRules[type].hasPlans

// ——— Money, sizes, slugs ———

const currencyLocale: Record<string, string> = { INR: 'en-IN', USD: 'en-US', EUR: 'en-IE' }
const moneyFormats = new Map<string, Intl.NumberFormat>()

function moneyFormat(currency: string): Intl.NumberFormat {
  let format = moneyFormats.get(currency)
  if (!format) {
    try {
      format = new Intl.NumberFormat(currencyLocale[currency] ?? 'en-GB', { style: 'currency', currency })
    } catch {
      format = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    }
    moneyFormats.set(currency, format)
  }
  return format
}

/** Decimal places of a currency's minor unit (2 for INR, USD, EUR; 0 for JPY…). */
export function currencyDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2
}

/** 49900 INR → "₹499.00"; 0 → "Free". */
export function formatCatalogPrice(minor: number | null | undefined, currency: string): string {
  if (typeof minor !== 'number') return '—'
  if (minor <= 0) return 'Free'
  return moneyFormat(currency).format(minor / 10 ** currencyDigits(currency))
}

/** 49900 → "499.00", for a price input in major units. */
export function minorToMajorText(minor: number | null | undefined, currency: string): string {
  if (typeof minor !== 'number') return ''
  const digits = currencyDigits(currency)
  return (minor / 10 ** digits).toFixed(digits)
}

/** "499", "499.5", "1,499.00" → integer minor units; null when it is not a valid non-negative amount. */
export function majorTextToMinor(text: string, currency: string): number | null {
  const value = text.replace(/[,\s_]/g, '')
  const digits = currencyDigits(currency)
  const pattern = digits ? new RegExp(`^\\d+(\\.\\d{0,${digits}})?$`) : /^\d+$/
  if (!pattern.test(value)) return null
  const [whole = '0', fraction = ''] = value.split('.')
  const minor = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0')
  return Number.isSafeInteger(minor) ? minor : null
}

/** Bytes in base 1024 with two decimals (upstream's formatted size): 1536 → "1.50 KB". */
export function formatSourceSize(bytes: number | null | undefined): string {
  if (typeof bytes !== 'number' || bytes < 0) return '—'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`
}

/** "My Great App 2.0!" → "my-great-app-2-0". */
export function slugifyTitle(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120)
    .replace(/-+$/, '')
}

// ——— Errors ———

/**
 * VALIDATION_FAILED details as form errors for the catalog forms: `body.price` → `price`,
 * `body.meta.a.b` → `meta`, `body.features.2` → `features`; `rename` maps API names to form names.
 */
export function catalogFieldErrors(error: ApiError, rename: Record<string, string> = {}): FormError[] {
  // Validation failures and conflicts (a taken slug or name) both name their fields in `details`.
  if (!Array.isArray(error.details)) return []
  return error.details.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return []
    const { path, message } = item as { path?: unknown; message?: unknown }
    if (typeof message !== 'string') return []
    const segments = (Array.isArray(path) ? path.map(String) : String(path ?? '').split('.')).filter(Boolean)
    if (['body', 'querystring', 'params'].includes(segments[0] ?? '')) segments.shift()
    const field = segments[0]
    if (!field) return []
    return [{ name: rename[field] ?? field, message }]
  })
}

/**
 * Puts a failed save's field errors under their fields, and returns the message to show above the
 * buttons when the error belongs to no field (null when every error found its field).
 */
export function placeCatalogError(err: unknown, form: { setErrors(errors: FormError[]): void } | null | undefined): string | null {
  const apiError = toApiError(err)
  const fields = catalogFieldErrors(apiError)
  if (fields.length && form) {
    form.setErrors(fields)
    return null
  }
  return apiError.message
}

// ——— Uploads with progress ———

export interface UploadHandle<T> {
  promise: Promise<T>
  abort: () => void
}

/** Thrown when an upload is cancelled by the person. */
export class UploadAbortedError extends Error {
  constructor() {
    super('The upload was cancelled')
    this.name = 'UploadAbortedError'
  }
}

/**
 * Multipart POST through XMLHttpRequest so the upload progress can be shown (fetch has no upload progress).
 * Failures reject with a `$fetch`-like `{status, data}` so `toApiError` reads the API's message.
 */
export function uploadWithProgress<T>(url: string, body: FormData, onProgress: (percent: number, loaded: number, total: number) => void): UploadHandle<T> {
  const xhr = new XMLHttpRequest()
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open('POST', url)
    xhr.responseType = 'text'
    xhr.withCredentials = true
    xhr.setRequestHeader('accept', 'application/json')
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(Math.min(100, Math.round((event.loaded / event.total) * 100)), event.loaded, event.total)
    }
    xhr.onload = () => {
      let data: unknown = null
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        data = null
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data as T)
      else reject(Object.assign(new Error(`Upload failed (${xhr.status})`), { status: xhr.status, data }))
    }
    xhr.onerror = () => reject(Object.assign(new Error('Network error'), { status: undefined, data: null }))
    xhr.onabort = () => reject(new UploadAbortedError())
    xhr.send(body)
  })
  return { promise, abort: () => xhr.abort() }
}

// ——— API calls ———

const enc = encodeURIComponent

export function useAdminCatalog() {
  const api = useApi()

  return {
    listProducts: (query: AdminProductQuery) => api<Paginated<AdminProduct>>('/api/admin/products', { query }),
    getProduct: (id: string) => api<AdminProduct>(`/api/admin/products/${enc(id)}`),
    createProduct: (body: AdminProductInput) => api<AdminProduct>('/api/admin/products', { method: 'POST', body }),
    updateProduct: (id: string, body: AdminProductInput) => api<AdminProduct>(`/api/admin/products/${enc(id)}`, { method: 'PATCH', body }),
    deleteProduct: (id: string) => api(`/api/admin/products/${enc(id)}`, { method: 'DELETE' }),
    bulkStatus: (ids: string[], status: ProductStatus) => api<{ updated: number }>('/api/admin/products/bulk', { method: 'POST', body: { ids, status } }),

    listCategories: () => api<{ data: AdminCategory[] }>('/api/admin/categories'),
    createCategory: (body: AdminCategoryInput) => api<AdminCategory>('/api/admin/categories', { method: 'POST', body }),
    updateCategory: (id: string, body: Partial<AdminCategoryInput>) => api<AdminCategory>(`/api/admin/categories/${enc(id)}`, { method: 'PATCH', body }),
    deleteCategory: (id: string) => api(`/api/admin/categories/${enc(id)}`, { method: 'DELETE' }),

    listSources: (productId: string) => api<{ data: AdminSource[] }>(`/api/admin/products/${enc(productId)}/sources`),
    createRemoteSource: (productId: string, body: RemoteSourceInput) => api<AdminSource>(`/api/admin/products/${enc(productId)}/sources`, { method: 'POST', body }),
    updateSource: (productId: string, sourceId: string, body: SourceUpdateInput) =>
      api<AdminSource>(`/api/admin/products/${enc(productId)}/sources/${enc(sourceId)}`, { method: 'PATCH', body }),
    deleteSource: (productId: string, sourceId: string) => api(`/api/admin/products/${enc(productId)}/sources/${enc(sourceId)}`, { method: 'DELETE' }),
    verifySource: (productId: string, sourceId: string) => api<AdminSource>(`/api/admin/products/${enc(productId)}/sources/${enc(sourceId)}/verify`, { method: 'POST', body: {} }),
    uploadSource: (productId: string, form: FormData, onProgress: (percent: number, loaded: number, total: number) => void) =>
      uploadWithProgress<AdminSource>(`/api/admin/products/${enc(productId)}/sources/upload`, form, onProgress),

    listPlans: (productId: string) => api<{ data: AdminPlan[] }>(`/api/admin/products/${enc(productId)}/plans`),
    createPlan: (productId: string, body: AdminPlanInput) => api<AdminPlan>(`/api/admin/products/${enc(productId)}/plans`, { method: 'POST', body }),
    updatePlan: (planId: string, body: AdminPlanInput) => api<AdminPlan>(`/api/admin/plans/${enc(planId)}`, { method: 'PATCH', body }),
    deletePlan: (planId: string) => api(`/api/admin/plans/${enc(planId)}`, { method: 'DELETE' }),
    reorderPlans: (productId: string, planIds: string[]) => api<{ data: AdminPlan[] }>(`/api/admin/products/${enc(productId)}/plans/reorder`, { method: 'POST', body: { planIds } }),

    previewMarkdown: (markdown: string) => api<{ html: string }>('/api/admin/markdown/preview', { method: 'POST', body: { markdown } }),
    uploadMedia: (file: File) => {
      const form = new FormData()
      form.append('file', file)
      return api<{ url: string }>('/api/admin/media', { method: 'POST', body: form })
    },
  }
}

/** Categories as a depth-first tree (parents before children, siblings by sort order then name). */
export function categoryTree<T extends Pick<AdminCategory, 'id' | 'parentId' | 'sortOrder' | 'name'>>(list: T[]): { category: T; depth: number }[] {
  const ids = new Set(list.map(c => c.id))
  const children = new Map<string | null, T[]>()
  for (const category of list) {
    const parent = category.parentId && ids.has(category.parentId) ? category.parentId : null
    children.set(parent, [...(children.get(parent) ?? []), category])
  }
  const out: { category: T; depth: number }[] = []
  const seen = new Set<string>()
  const walk = (parent: string | null, depth: number) => {
    const siblings = [...(children.get(parent) ?? [])].sort((a, b) => a.sortOrder - b.sortOrder || a.name.localeCompare(b.name))
    for (const category of siblings) {
      if (seen.has(category.id)) continue
      seen.add(category.id)
      out.push({ category, depth })
      walk(category.id, depth + 1)
    }
  }
  walk(null, 0)
  // A cycle (a → b → a) would leave categories unreached: list them at the root rather than lose them.
  for (const category of list) if (!seen.has(category.id)) out.push({ category, depth: 0 })
  return out
}

/** Why `text` is not a JSON object, or null when it is one (or empty, which means `{}`). */
export function jsonObjectError(text: string): string | null {
  if (!text.trim()) return null
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? null : 'Enter a JSON object, e.g. {"key": "value"}'
  } catch (err) {
    return `Not valid JSON: ${err instanceof Error ? err.message : 'cannot be parsed'}`
  }
}

/** A JSON object as text for editing ("" for an empty one). */
export function jsonObjectText(value: Record<string, unknown> | null | undefined): string {
  return value && Object.keys(value).length ? JSON.stringify(value, null, 2) : ''
}

// ——— The product form's draft ———

/** The product form as typed: money in major units, JSON as text. */
export interface ProductDraft {
  title: string
  slug: string
  type: ProductType
  status: ProductStatus
  price: string
  currency: string
  shortDescription: string
  description: string
  content: string
  image: string
  version: string
  featured: boolean
  requiresAuth: boolean
  defaultLicense: LicenseType
  demoUrl: string
  githubUrl: string
  documentationUrl: string
  categoryIds: string[]
  meta: string
  apiConfig: string
}

export function productDraftFrom(product?: AdminProduct | null): ProductDraft {
  if (!product) {
    return {
      title: '', slug: '', type: 'downloadable', status: 'draft', price: '0.00', currency: 'INR',
      shortDescription: '', description: '', content: '', image: '', version: '',
      featured: false, requiresAuth: false, defaultLicense: productTypeRules.downloadable.defaultLicense,
      demoUrl: '', githubUrl: '', documentationUrl: '', categoryIds: [], meta: '', apiConfig: '',
    }
  }
  return {
    title: product.title,
    slug: product.slug,
    type: product.type,
    status: product.status,
    price: minorToMajorText(product.price, product.currency),
    currency: product.currency,
    shortDescription: product.shortDescription ?? '',
    description: product.description ?? '',
    content: product.content ?? '',
    image: product.image ?? '',
    version: product.version ?? '',
    featured: product.featured,
    requiresAuth: product.requiresAuth,
    defaultLicense: product.defaultLicense,
    demoUrl: product.demoUrl ?? '',
    githubUrl: product.githubUrl ?? '',
    documentationUrl: product.documentationUrl ?? '',
    categoryIds: (product.categories ?? []).map(c => c.id),
    meta: jsonObjectText(product.meta),
    apiConfig: jsonObjectText(product.apiConfig),
  }
}

const nullable = (text: string) => (text.trim() ? text.trim() : null)
const markdown = (text: string) => (text.trim() ? text : null)
const jsonObject = (text: string) => (text.trim() ? JSON.parse(text) as Record<string, unknown> : {})

/** Every field of the draft as the API takes it (call after validation: the price and JSON must parse). */
export function productDraftBody(draft: ProductDraft): AdminProductInput & { categoryIds: string[] } {
  return {
    title: draft.title.trim(),
    slug: draft.slug.trim(),
    type: draft.type,
    status: draft.status,
    price: majorTextToMinor(draft.price, draft.currency) ?? 0,
    currency: draft.currency,
    shortDescription: nullable(draft.shortDescription),
    description: markdown(draft.description),
    content: markdown(draft.content),
    image: nullable(draft.image),
    version: nullable(draft.version),
    featured: draft.featured,
    requiresAuth: draft.requiresAuth,
    defaultLicense: draft.defaultLicense,
    demoUrl: nullable(draft.demoUrl),
    githubUrl: nullable(draft.githubUrl),
    documentationUrl: nullable(draft.documentationUrl),
    categoryIds: [...draft.categoryIds],
    meta: jsonObject(draft.meta),
    apiConfig: jsonObject(draft.apiConfig),
  }
}

/** POST body: empty optional fields left out (the API fills in defaults; an empty slug is derived from the title). */
export function productCreateBody(draft: ProductDraft): AdminProductInput {
  const body = productDraftBody(draft) as Record<string, unknown>
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === '') delete body[key]
  }
  return body as AdminProductInput
}

/** PATCH body: only what differs from `baseline` (a cleared field is sent as null). */
export function productPatchBody(draft: ProductDraft, baseline: ProductDraft): AdminProductInput {
  const next = productDraftBody(draft) as Record<string, unknown>
  let before: Record<string, unknown>
  try {
    before = productDraftBody(baseline) as Record<string, unknown>
  } catch {
    return next as AdminProductInput
  }
  const body: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(next)) {
    if (JSON.stringify(value) !== JSON.stringify(before[key])) body[key] = value
  }
  // An emptied slug keeps the current one (a slug cannot be blank).
  if (body.slug === '') delete body.slug
  return body as AdminProductInput
}

const httpUrl = (text: string) => {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** Client-side checks of the product form, by field (the API checks again). */
export function validateProductDraft(draft: Partial<ProductDraft>): FormError[] {
  const errors: FormError[] = []
  const title = draft.title?.trim() ?? ''
  if (!title) errors.push({ name: 'title', message: 'Give the product a title' })
  else if (title.length < 2) errors.push({ name: 'title', message: 'Use at least 2 characters' })
  else if (title.length > 200) errors.push({ name: 'title', message: 'Keep the title under 200 characters' })
  const slug = draft.slug?.trim() ?? ''
  if (slug && !slugSchema.safeParse(slug).success) {
    errors.push({ name: 'slug', message: 'Use 2–120 lower-case letters, digits and single dashes' })
  }
  const price = majorTextToMinor(draft.price ?? '', draft.currency ?? 'INR')
  if (price === null) errors.push({ name: 'price', message: 'Enter an amount like 499.00 (0 for free)' })
  else if (price > 1_000_000_000) errors.push({ name: 'price', message: 'That is more than the platform accepts' })
  else if (draft.type === 'freebie' && price > 0) errors.push({ name: 'price', message: 'A freebie is free: set the price to 0' })
  if ((draft.version ?? '').trim().length > 50) errors.push({ name: 'version', message: 'Keep the version under 50 characters' })
  if ((draft.shortDescription ?? '').length > 160) errors.push({ name: 'shortDescription', message: 'Keep it to 160 characters' })
  for (const key of ['demoUrl', 'githubUrl', 'documentationUrl'] as const) {
    const value = draft[key]?.trim()
    if (value && !httpUrl(value)) errors.push({ name: key, message: 'Enter a full URL starting with https://' })
  }
  const image = draft.image?.trim()
  if (image && !httpUrl(image) && !/^\/media\/[\w.-]+$/.test(image)) errors.push({ name: 'image', message: 'Enter a full https:// URL or upload an image' })
  for (const key of ['meta', 'apiConfig'] as const) {
    const problem = jsonObjectError(draft[key] ?? '')
    if (problem) errors.push({ name: key, message: problem })
  }
  return errors
}
