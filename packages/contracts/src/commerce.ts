// The commerce vocabulary (orders, payments, coupons, licences, API keys) as plain constants, with no zod:
// storefront pages import these without pulling a schema library into the browser bundle.
import type { LicenseType } from './catalog.js'

export const orderStatuses = ['pending', 'paid', 'fulfilled', 'failed', 'canceled', 'refunded', 'disputed'] as const
export type OrderStatus = (typeof orderStatuses)[number]

/**
 * The order state machine: from each status, where it may go. `paid → fulfilled` is fulfilment;
 * refunds and disputes can follow payment whether or not fulfilment has happened yet. Money that arrives
 * after an order failed or expired is honoured (`failed|canceled → paid`): the buyer paid.
 */
export const orderTransitions: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['paid', 'failed', 'canceled'],
  paid: ['fulfilled', 'refunded', 'disputed'],
  fulfilled: ['refunded', 'disputed'],
  failed: ['paid', 'canceled'],
  canceled: ['paid'],
  refunded: [],
  disputed: ['refunded', 'fulfilled'],
}

export const paymentProviders = ['sandbox', 'stripe', 'razorpay'] as const
export type PaymentProviderName = (typeof paymentProviders)[number]

export const couponKinds = ['percent', 'fixed'] as const
export type CouponKind = (typeof couponKinds)[number]

export const licenseStatuses = ['active', 'disabled', 'expired', 'usage_limit', 'revoked'] as const
export type LicenseStatus = (typeof licenseStatuses)[number]

/** What each licence type grants (upstream LicenseType table): seats, lifetime, attribution. */
export const licenseTypeTerms: Record<LicenseType, {
  /** Activations allowed; null is unlimited. */
  maxUsage: number | null
  /** Days until expiry from issue; null never expires. */
  expiresInDays: number | null
  free: boolean
  commercial: boolean
  requiresAttribution: boolean
}> = {
  free_single_use: { maxUsage: 1, expiresInDays: null, free: true, commercial: false, requiresAttribution: false },
  free_attribution: { maxUsage: null, expiresInDays: null, free: true, commercial: false, requiresAttribution: true },
  free_unlimited: { maxUsage: null, expiresInDays: null, free: true, commercial: false, requiresAttribution: false },
  commercial_single: { maxUsage: 1, expiresInDays: null, free: false, commercial: true, requiresAttribution: false },
  commercial_team: { maxUsage: 5, expiresInDays: null, free: false, commercial: true, requiresAttribution: false },
  commercial_enterprise: { maxUsage: null, expiresInDays: null, free: false, commercial: true, requiresAttribution: false },
  api_subscription: { maxUsage: null, expiresInDays: null, free: false, commercial: false, requiresAttribution: false },
  demo: { maxUsage: null, expiresInDays: 30, free: true, commercial: false, requiresAttribution: false },
}

export const apiKeyEnvironments = ['live', 'test'] as const
export type ApiKeyEnvironment = (typeof apiKeyEnvironments)[number]

const moneyFormats = new Map<string, Intl.NumberFormat>()

/** 49900 INR → "₹499.00": minor units shown in the currency's own decimals. */
export function formatMoney(minor: number, currency: string): string {
  let format = moneyFormats.get(currency)
  if (!format) {
    format = new Intl.NumberFormat('en-IN', { style: 'currency', currency })
    moneyFormats.set(currency, format)
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2
  return format.format(minor / 10 ** digits)
}
