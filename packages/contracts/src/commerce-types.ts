// Commerce response shapes as they arrive over the wire (timestamps are ISO strings). API.md is the contract.
import type { LicenseType, ProductType } from './catalog.js'
import type { ApiKeyEnvironment, CouponKind, LicenseStatus, OrderStatus, PaymentProviderName } from './commerce.js'

export interface OrderItem {
  id: string
  productId: string
  productSlug: string
  productTitle: string
  planId: string | null
  planSlug: string | null
  planName: string | null
  licenseType: LicenseType
  /** Unit price captured at purchase, minor units of the order's currency. */
  price: number
  licenseId: string | null
  apiKeyId: string | null
}

export interface PaymentSession {
  provider: PaymentProviderName
  sessionId: string
  /** The hosted payment page to send the buyer to. */
  url: string
}

export interface Order {
  id: string
  status: OrderStatus
  items: OrderItem[]
  subtotal: number
  discount: number
  total: number
  currency: string
  couponCode: string | null
  provider: PaymentProviderName | null
  createdAt: string
  paidAt: string | null
  fulfilledAt: string | null
  refundedAt: string | null
  expiresAt: string | null
  /** Why the order failed, was canceled or is waiting (e.g. licensing paused). */
  statusReason: string | null
  /** One order (not lists): the hosted payment page of a pending order, to continue paying. */
  paymentUrl?: string | null
}

/** POST /api/checkout/quote: what checkout would charge, without creating an order. */
export interface CheckoutQuote {
  items: {
    productId: string
    productSlug: string
    productTitle: string
    productType: ProductType
    planSlug: string | null
    planName: string | null
    licenseType: LicenseType
    price: number
  }[]
  subtotal: number
  discount: number
  total: number
  currency: string
  couponCode: string | null
  providers: PaymentProviderName[]
  defaultProvider: PaymentProviderName | null
  paymentsPaused: boolean
}

/** GET /api/pay/sandbox/{sessionId}: what the sandbox gateway's hosted page shows. */
export interface SandboxSession {
  sessionId: string
  status: 'open' | 'submitted' | 'succeeded' | 'failed' | 'expired' | 'canceled' | 'refunded' | 'disputed'
  amount: number
  currency: string
  orderId: string
  items: { name: string; amount: number }[]
  discount: number
  expiresAt: string | null
  successUrl: string
  cancelUrl: string
}

/**
 * GET /api/pay/razorpay/{razorpayOrderId}: what our own Razorpay payment page hands to Checkout.js (Razorpay
 * Orders have no hosted page). The buyer's own orders only; the key id is public by Razorpay's design.
 */
export interface RazorpayCheckout {
  keyId: string
  razorpayOrderId: string
  orderId: string
  status: OrderStatus
  /** Minor units of `currency`, as Razorpay expects them. */
  amount: number
  currency: string
  /** The buyer, to prefill Razorpay's form. */
  name: string
  email: string
  expiresAt: string | null
  successUrl: string
  cancelUrl: string
}

export interface CheckoutResult {
  order: Order
  /** Null when nothing is to be paid: the order is already fulfilled. */
  payment: PaymentSession | null
}

export interface OrderEvent {
  id: string
  type: string
  message: string
  data: Record<string, unknown> | null
  at: string
}

/** The admin view of an order: the buyer and the timeline. */
export interface AdminOrder extends Order {
  user: { id: string; name: string; email: string }
  flagged: boolean
  events: OrderEvent[]
}

export interface License {
  id: string
  key: string
  productId: string
  productSlug: string
  productTitle: string
  type: LicenseType
  status: LicenseStatus
  usageCount: number
  maxUsage: number | null
  expiresAt: string | null
  /** Live activations (seats in use, and development domains that use none). */
  activations: LicenseActivation[]
  attribution: { required: boolean; text: string | null }
  orderId: string | null
  planId: string | null
  createdAt: string
  /** Self-service seat releases: how many are left in the rolling window, and when the next one frees up. */
  releases: { limit: number; remaining: number; windowHours: number; nextAt: string | null }
}

export interface LicenseActivation {
  id: string
  name: string
  fingerprint: string | null
  domain: string | null
  createdAt: string
  lastValidatedAt: string | null
  /** False for development domains (localhost, *.test, …), which never take a seat. */
  usesSeat: boolean
}

/** An activation as the admin panel sees it, released ones included. */
export interface AdminLicenseActivation extends LicenseActivation {
  ip: string | null
  releasedAt: string | null
  /** `owner` (one seat, dashboard), `owner_all` (emailed release-all), `admin`, `software` (POST /deactivate), `reset` (admin reset usage) */
  releasedBy: 'owner' | 'owner_all' | 'admin' | 'software' | 'reset' | null
}

/** Validations of a licence, grouped: one row per activation, outcome and address per hour. */
export interface LicenseValidationSummary {
  activationId: string | null
  code: string
  ip: string | null
  count: number
  firstAt: string
  lastAt: string
}

export interface AdminLicense {
  id: string
  /** The key's last four characters. */
  keyHint: string
  product: { id: string; slug: string; title: string }
  type: LicenseType
  status: LicenseStatus
  /** The stored state: `active`, `disabled` (suspended) or `revoked`; `status` adds expiry and seats. */
  state: 'active' | 'disabled' | 'revoked'
  user: { id: string; name: string; email: string } | null
  /** The holder's email when the licence belongs to no account yet. */
  email: string | null
  usageCount: number
  maxUsage: number | null
  expiresAt: string | null
  orderId: string | null
  planId: string | null
  revokedAt: string | null
  revokeReason: string | null
  createdAt: string
}

export interface AdminLicenseDetail extends AdminLicense {
  activations: AdminLicenseActivation[]
  validations: LicenseValidationSummary[]
  order: { id: string; status: OrderStatus; total: number; currency: string; createdAt: string } | null
  attribution: { required: boolean; text: string | null }
}

/** The answer to an admin grant: the only time the admin panel sees the full key. */
export interface AdminLicenseGrantResult {
  license: AdminLicenseDetail
  key: string
}

export interface ApiKey {
  id: string
  name: string
  environment: ApiKeyEnvironment
  /** A display prefix such as `mk_live_a1b2c3d4`; the full key is shown once, at creation. */
  prefix: string
  licenseId: string
  productId: string
  planId: string | null
  allowedDomains: string[]
  allowedIps: string[]
  /** `expired`: past `expiresAt` (a hard expiry, or the end of a rotation's grace period). */
  status: 'active' | 'expired' | 'revoked'
  /** Set for a key with an expiry or one being rotated out. */
  expiresAt: string | null
  lastUsedAt: string | null
  createdAt: string
}

/** The answer to creating or rotating a key: the only time the full key is ever returned. */
export interface ApiKeyWithSecret extends ApiKey {
  key: string
}

export interface Coupon {
  id: string
  code: string
  description: string | null
  kind: CouponKind
  value: number
  currency: string | null
  productIds: string[]
  startsAt: string | null
  endsAt: string | null
  maxUses: number | null
  maxUsesPerCustomer: number | null
  usedCount: number
  isActive: boolean
  createdAt: string
}

export type WebhookEventStatus = 'received' | 'processed' | 'deferred' | 'ignored' | 'rejected' | 'failed'

export interface WebhookEvent {
  id: string
  provider: PaymentProviderName
  providerEventId: string | null
  type: string | null
  status: WebhookEventStatus
  orderId: string | null
  attempts: number
  error: string | null
  receivedAt: string
  processedAt: string | null
  /** The last admin replay, and what it found (a processed event's replay changes nothing: it stays processed). */
  replayedAt: string | null
  replayNote: string | null
  payload?: unknown
}
