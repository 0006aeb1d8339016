// The storefront catalogue: response shapes (API.md "Catalog", docs/catalog-api-notes.md), the URL query that
// holds the catalogue's state, and the formatting every catalogue component shares (money, sizes, licences).
import type { LocationQuery, LocationQueryRaw } from 'vue-router'
// Constants come from the zod-free vocabulary: this file is in every storefront page, zod is not.
import {
  billingCycles, isFreeProduct, licenseTypeInfo, productSorts, productTypeRules, productTypes,
  type BillingCycle, type LicenseType, type ProductType,
} from '@mintreu/contracts/vocab'
import type { Paginated } from '~/types/api'
import { groupDigits } from '../utils/format'

import type { Category, Plan, Product } from '@mintreu/contracts'

export type { BillingCycle, LicenseType, ProductType }
export type { Category, CategoryRef, Plan, Product, ProductSource } from '@mintreu/contracts'
export type ProductSort = typeof productSorts[number]

/** What a product card shows; list responses are cut down to this before they go into the page payload. */
export type ProductSummary = Pick<Product,
  'id' | 'slug' | 'title' | 'shortDescription' | 'image' | 'price' | 'currency' | 'type' | 'rating' | 'version'>

export interface ProductDetail extends Product {
  content: string | null
  /** Markdown rendered and sanitised by the API. */
  descriptionHtml: string | null
  contentHtml: string | null
  plans: Plan[]
  related: ProductSummary[]
}

export interface CategoryNode extends Category {
  children: CategoryNode[]
}

export type PriceFilter = 'free' | 'paid'

/** The catalogue's state, as it lives in the URL query of /products. */
export interface CatalogQuery {
  search: string
  category: string
  type: ProductType | ''
  price: PriceFilter | ''
  /** '' = the default: relevance while searching, newest otherwise. */
  sort: ProductSort | ''
  page: number
}

export const CATALOG_PER_PAGE = 12

function firstString(value: LocationQuery[string] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value
  return typeof v === 'string' ? v : ''
}

export function parseCatalogQuery(query: LocationQuery): CatalogQuery {
  const type = firstString(query.type)
  const price = firstString(query.price)
  const sort = firstString(query.sort)
  const page = Number.parseInt(firstString(query.page), 10)
  return {
    search: firstString(query.search).trim().slice(0, 200),
    category: firstString(query.category).trim(),
    type: (productTypes as readonly string[]).includes(type) ? type as ProductType : '',
    price: price === 'free' || price === 'paid' ? price : '',
    sort: (productSorts as readonly string[]).includes(sort) ? sort as ProductSort : '',
    page: Number.isFinite(page) && page > 1 ? Math.min(page, 10_000) : 1,
  }
}

/** The URL query for a catalogue state (defaults left out, so URLs stay short and shareable). */
export function toRouteQuery(state: CatalogQuery): LocationQueryRaw {
  return {
    search: state.search || undefined,
    category: state.category || undefined,
    type: state.type || undefined,
    price: state.price || undefined,
    sort: state.sort || undefined,
    page: state.page > 1 ? String(state.page) : undefined,
  }
}

/** GET /api/products query for a catalogue state. */
export function toApiQuery(state: CatalogQuery, perPage = CATALOG_PER_PAGE) {
  return {
    search: state.search || undefined,
    category: state.category || undefined,
    type: state.type || undefined,
    free: state.price === 'free' ? 'true' : state.price === 'paid' ? 'false' : undefined,
    sort: state.sort || undefined,
    page: state.page,
    perPage,
  }
}

export function countActiveFilters(state: CatalogQuery): number {
  return [state.category, state.type, state.price].filter(Boolean).length
}

/** Categories as a tree (by parentId, then sortOrder and name); orphans of inactive parents become roots. */
export function buildCategoryTree(categories: Category[]): CategoryNode[] {
  const nodes = new Map<string, CategoryNode>(categories.map(c => [c.id, { ...c, children: [] }]))
  const roots: CategoryNode[] = []
  for (const node of nodes.values()) {
    const parent = node.parentId ? nodes.get(node.parentId) : undefined
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  const sort = (list: CategoryNode[]) => {
    list.sort((a, b) => a.sortOrder - b.sortOrder || a.name.localeCompare(b.name))
    for (const node of list) sort(node.children)
    return list
  }
  return sort(roots)
}

// ---------------------------------------------------------------------------------------------------------------
// Data

export function toSummary(product: ProductSummary): ProductSummary {
  const { id, slug, title, shortDescription, image, price, currency, type, rating, version } = product
  return { id, slug, title, shortDescription, image, price, currency, type, rating, version }
}

/**
 * Shared fetchers for the catalogue endpoints (SSR-safe: they go through useApi). Lists keep only what a card shows,
 * and the product page drops the raw markdown it renders from the HTML, so the server-rendered payload stays small.
 */
export function useCatalog() {
  const api = useApi()
  return {
    products: (query: Record<string, string | number | undefined>) => api<Paginated<Product>>('/api/products', { query })
      .then((page): Paginated<ProductSummary> => ({ data: page.data.map(toSummary), meta: page.meta })),
    product: (slug: string) => api<ProductDetail>(`/api/products/${encodeURIComponent(slug)}`)
      .then((product): ProductDetail => ({
        ...product,
        content: null,
        description: product.description ? product.description.slice(0, 500) : null,
        meta: {},
        apiConfig: {},
        related: product.related.map(toSummary),
      })),
    sources: (slug: string) => api<{ data: ProductSource[] }>(`/api/products/${encodeURIComponent(slug)}/sources`),
    categories: () => api<{ data: Category[] }>('/api/categories'),
  }
}

/** GET /api/categories, shared by every component on the page that asks. */
export function useCategories() {
  const catalog = useCatalog()
  return useAsyncData('catalog-categories', () => catalog.categories().then(r => r.data), { default: () => [] as Category[] })
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

const moneyFormats = new Map<string, Intl.NumberFormat>()

function moneyFormat(currency: string) {
  let format = moneyFormats.get(currency)
  if (!format) {
    try {
      format = new Intl.NumberFormat('en-IN', { style: 'currency', currency })
    } catch {
      format = new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR' })
    }
    moneyFormats.set(currency, format)
  }
  return format
}

// Rupees, the platform's currency, are formatted without Intl, exactly as Intl's en-IN currency format does
// (format.test.ts): the first Intl formatter a page builds costs a phone tens of milliseconds of hydration.

/** Decimal amount of a minor-unit integer in `currency` (49900 INR → 499). */
export function toMajorUnits(minor: number, currency: string): number {
  const digits = currency === 'INR' ? 2 : moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2
  return minor / 10 ** digits
}

/** 49900 INR → "₹499.00"; 0 → "Free". */
export function formatMoney(minor: number, currency: string, { zero = 'Free' }: { zero?: string } = {}): string {
  if (!minor) return zero
  if (currency === 'INR' && Number.isSafeInteger(minor)) {
    const paise = Math.abs(minor)
    return `${minor < 0 ? '-' : ''}₹${groupDigits(String(Math.floor(paise / 100)), true)}.${String(paise % 100).padStart(2, '0')}`
  }
  return moneyFormat(currency).format(toMajorUnits(minor, currency))
}

/** What the product costs to a visitor: "Free" for free products and freebies. */
export function productPriceLabel(product: Pick<Product, 'price' | 'currency' | 'type'>): string {
  return isFreeProduct(product) ? 'Free' : formatMoney(product.price, product.currency)
}

export function productIsFree(product: Pick<Product, 'price' | 'type'>): boolean {
  return isFreeProduct(product)
}

const sizeUnits = ['bytes', 'KB', 'MB', 'GB', 'TB']

/** 1536 → "1.5 KB" (binary multiples, as file managers show them). */
export function formatBytes(bytes: number | null | undefined): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return '—'
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < sizeUnits.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toLocaleString('en-GB', { maximumFractionDigits: value < 10 ? 1 : 0 })} ${sizeUnits[unit]}`
}

let compact: Intl.NumberFormat | undefined

export function formatCompact(value: number): string {
  compact ??= new Intl.NumberFormat('en-GB', { notation: 'compact', maximumFractionDigits: 1 })
  return compact.format(value)
}

export function productTypeLabel(type: ProductType): string {
  return productTypeRules[type]?.label ?? type
}

export const productTypeIcons: Record<ProductType, string> = {
  downloadable: 'i-lucide-download',
  api_service: 'i-lucide-plug',
  api_referral: 'i-lucide-share-2',
  freebie: 'i-lucide-gift',
  demo: 'i-lucide-flask-conical',
}

/** Licence types in plain words (the one table in contracts), as a title and a detail line. */
export const licenseLabels = Object.fromEntries(
  Object.entries(licenseTypeInfo).map(([type, info]) => [type, { title: info.label, detail: info.description }]),
) as Record<LicenseType, { title: string; detail: string }>

export function licenseLabel(license: LicenseType) {
  return licenseLabels[license] ?? { title: license, detail: '' }
}

export const billingCycleLabels: Record<BillingCycle, { suffix: string; period: string }> = {
  monthly: { suffix: '/month', period: 'billed monthly' },
  yearly: { suffix: '/year', period: 'billed yearly' },
  lifetime: { suffix: '', period: 'one payment, lifetime access' },
  one_time: { suffix: '', period: 'one-time payment' },
}

export function billingCycleLabel(cycle: BillingCycle) {
  return billingCycleLabels[cycle] ?? { suffix: '', period: billingCycles.includes(cycle) ? cycle : '' }
}

/** "60 per minute", or "Unlimited" for null. */
export function formatLimit(value: number | null | undefined): string {
  return typeof value === 'number' ? formatNumber(value) : 'Unlimited'
}

/** Two letters for the image placeholder: "Acme Admin Kit" → "AA". */
export function initialsOf(title: string): string {
  const words = title.replace(/[^\p{L}\p{N}\s]/gu, ' ').split(/\s+/).filter(Boolean)
  const letters = words.length >= 2 ? `${words[0]![0]}${words[1]![0]}` : (words[0] ?? '?').slice(0, 2)
  return letters.toUpperCase()
}

/** A stable hue (0–359) for a string, so a product keeps its placeholder colour. */
export function hueOf(value: string): number {
  let hash = 0
  for (let i = 0; i < value.length; i++) hash = (hash * 31 + value.charCodeAt(i)) | 0
  return Math.abs(hash) % 360
}

// ---------------------------------------------------------------------------------------------------------------
// Theme

/**
 * Catalogue pages render inside this class. In light mode the theme's 500 shades (emerald, green, amber, blue, red)
 * are too light for text on white, and white text on them is below WCAG AA (2.5:1); the 700 shades pass (≥ 5:1).
 * Dark mode keeps the theme's own 400 shades, which already pass. Custom properties inherit, so every Nuxt UI
 * component inside (buttons, badges, links, alerts) follows.
 */
export const catalogThemeClass = [
  '[--ui-primary:var(--ui-color-primary-700)] dark:[--ui-primary:var(--ui-color-primary-400)]',
  '[--ui-success:var(--ui-color-success-700)] dark:[--ui-success:var(--ui-color-success-400)]',
  '[--ui-info:var(--ui-color-info-700)] dark:[--ui-info:var(--ui-color-info-400)]',
  '[--ui-warning:var(--ui-color-warning-700)] dark:[--ui-warning:var(--ui-color-warning-400)]',
  '[--ui-error:var(--ui-color-error-700)] dark:[--ui-error:var(--ui-color-error-400)]',
].join(' ')

// ---------------------------------------------------------------------------------------------------------------
// Call to action

export interface ProductAction {
  label: string
  to: string
  icon: string
  /** data-testid of the button */
  testId: string
  /**
   * A free product claimed in one click: the button posts the checkout itself (useFreeClaim) and goes to the
   * success page; `to` is the checkout page, where signed-out visitors land after signing in.
   */
  claim?: boolean
}

/**
 * The main button of a product page, by type. API products are subscribed to per plan (see PlansTable), so their
 * main button scrolls to the plans. Paid products go to /checkout; free ones are claimed directly.
 */
export function productAction(product: Pick<Product, 'slug' | 'type' | 'price' | 'currency' | 'requiresAuth'>): ProductAction {
  const checkout = `/checkout?product=${encodeURIComponent(product.slug)}`
  if (product.type === 'api_service' || product.type === 'api_referral') {
    return { label: 'See plans', to: '#plans', icon: 'i-lucide-arrow-down', testId: 'product-cta' }
  }
  if (product.type === 'freebie' && !product.requiresAuth) {
    // ProductCta downloads the file directly; this is what it shows while it finds out whether there is one.
    return { label: 'Download', to: '#download', icon: 'i-lucide-download', testId: 'product-cta' }
  }
  const free = isFreeProduct(product)
  if (product.type === 'demo') {
    return { label: 'Start free trial', to: checkout, icon: 'i-lucide-flask-conical', testId: 'product-cta', claim: free }
  }
  if (free) {
    return { label: 'Get for free', to: checkout, icon: 'i-lucide-gift', testId: 'product-cta', claim: true }
  }
  return { label: `Buy — ${formatMoney(product.price, product.currency)}`, to: checkout, icon: 'i-lucide-shopping-cart', testId: 'product-cta' }
}

export function planCheckoutLink(productSlug: string, planSlug: string): string {
  return `/checkout?product=${encodeURIComponent(productSlug)}&plan=${encodeURIComponent(planSlug)}`
}

// ---------------------------------------------------------------------------------------------------------------
// SEO

/** Absolute URL on this site (runtime config `public.siteUrl`). */
export function useAbsoluteUrl() {
  const siteUrl = useRuntimeConfig().public.siteUrl.replace(/\/+$/, '')
  return (path: string) => (/^https?:\/\//i.test(path) ? path : `${siteUrl}${path.startsWith('/') ? '' : '/'}${path}`)
}

/** A canonical link and og:url for the current page. */
export function useCanonical(path: MaybeRefOrGetter<string>) {
  const absolute = useAbsoluteUrl()
  const href = computed(() => absolute(toValue(path)))
  useHead({ link: [{ rel: 'canonical', href }] })
  useSeoMeta({ ogUrl: href })
  return href
}
