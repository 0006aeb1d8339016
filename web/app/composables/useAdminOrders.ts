// The admin panel's view of orders, payments (webhook deliveries) and coupons (API.md "Checkout, payments,
// orders"): the calls, the vocabulary shown to people, and small formatting helpers.
import {
  formatMoney,
  type AdminOrder, type Coupon, type CouponBody, type Order, type OrderStatus, type PaymentProviderName,
  type WebhookEvent, type WebhookEventStatus,
} from '@mintreu/contracts'
import type { Paginated } from '~/types/api'

export type { AdminOrder, Coupon, WebhookEvent, WebhookEventStatus }

/** One row of the admin order list: the order, its buyer and whether it was flagged. */
export type AdminOrderRow = Order & { user: AdminOrder['user']; flagged: boolean }

export interface AdminOrderQuery {
  page?: number
  perPage?: number
  status?: OrderStatus
  provider?: PaymentProviderName
  flagged?: 'true' | 'false'
  /** An order id or part of the buyer's email. */
  search?: string
  from?: string
  to?: string
  userId?: string
}

export interface WebhookEventQuery {
  page?: number
  perPage?: number
  provider?: PaymentProviderName
  status?: WebhookEventStatus
  orderId?: string
}

export interface CouponQuery {
  page?: number
  perPage?: number
  search?: string
}

export const webhookEventStatuses = ['received', 'processed', 'deferred', 'ignored', 'rejected', 'failed'] as const satisfies readonly WebhookEventStatus[]

type BadgeColor = 'primary' | 'secondary' | 'success' | 'info' | 'warning' | 'error' | 'neutral'

// ——— Vocabulary for people ———

// Order statuses in words come from useOrders (orderStatusInfo), shared with the buyer's pages, as is the badge
// (components/orders/StatusBadge.vue).

export const adminProviderInfo: Record<PaymentProviderName, { label: string; icon: string }> = {
  sandbox: { label: 'Sandbox', icon: 'i-lucide-flask-conical' },
  stripe: { label: 'Stripe', icon: 'i-lucide-credit-card' },
  razorpay: { label: 'Razorpay', icon: 'i-lucide-indian-rupee' },
}

export const adminWebhookStatusInfo: Record<WebhookEventStatus, { label: string; color: BadgeColor; icon: string; description: string }> = {
  received: { label: 'Received', color: 'info', icon: 'i-lucide-inbox', description: 'Verified and stored; waiting to be processed.' },
  processed: { label: 'Processed', color: 'success', icon: 'i-lucide-circle-check', description: 'Applied to its order.' },
  deferred: { label: 'Deferred', color: 'warning', icon: 'i-lucide-hourglass', description: 'Kept until the payment it reverses arrives.' },
  ignored: { label: 'Ignored', color: 'neutral', icon: 'i-lucide-circle-minus', description: 'Nothing to do: not an event we act on, or already applied.' },
  rejected: { label: 'Rejected', color: 'error', icon: 'i-lucide-shield-x', description: 'Refused: a bad signature or an amount that does not match the order.' },
  failed: { label: 'Failed', color: 'error', icon: 'i-lucide-triangle-alert', description: 'Processing failed; it is retried.' },
}

const eventInfo: Record<string, { icon: string; color: BadgeColor; label: string }> = {
  created: { icon: 'i-lucide-shopping-cart', color: 'neutral', label: 'Order placed' },
  payment_session: { icon: 'i-lucide-credit-card', color: 'info', label: 'Payment page' },
  paid: { icon: 'i-lucide-banknote', color: 'success', label: 'Paid' },
  waiting: { icon: 'i-lucide-hourglass', color: 'warning', label: 'Waiting' },
  fulfilled: { icon: 'i-lucide-package-check', color: 'success', label: 'Fulfilled' },
  flagged: { icon: 'i-lucide-flag', color: 'error', label: 'Flagged' },
  refund_requested: { icon: 'i-lucide-undo-2', color: 'warning', label: 'Refund requested' },
  revoked: { icon: 'i-lucide-key-round', color: 'error', label: 'Grants revoked' },
  refunded: { icon: 'i-lucide-rotate-ccw', color: 'warning', label: 'Refunded' },
  partial_refund: { icon: 'i-lucide-rotate-ccw', color: 'warning', label: 'Partial refund' },
  disputed: { icon: 'i-lucide-gavel', color: 'error', label: 'Disputed' },
  failed: { icon: 'i-lucide-circle-x', color: 'error', label: 'Failed' },
  canceled: { icon: 'i-lucide-ban', color: 'neutral', label: 'Canceled' },
}

/** Icon, colour and label of a timeline entry; unknown types get a neutral dot and their own name. */
export function adminOrderEventInfo(type: string): { icon: string; color: BadgeColor; label: string } {
  return eventInfo[type] ?? { icon: 'i-lucide-circle-dot', color: 'neutral', label: type.replace(/_/g, ' ').replace(/^./, c => c.toUpperCase()) }
}

/** Orders the admin can refund (the server's rule: refunds follow a payment). */
export const refundableStatuses: readonly OrderStatus[] = ['paid', 'fulfilled', 'disputed']

/** "2048 Game Premium" or "2048 Game Premium + 2 more". */
export function orderItemsSummary(order: Pick<Order, 'items'>): string {
  const [first, ...rest] = order.items
  if (!first) return 'No items'
  const name = first.planName ? `${first.productTitle} (${first.planName})` : first.productTitle
  return rest.length ? `${name} + ${rest.length} more` : name
}

/**
 * A refund asked of the provider that has not come back yet: the last refund request has no refund (or
 * dispute) after it and the order is not refunded.
 */
export function refundPending(order: Pick<AdminOrder, 'status' | 'events'> | null | undefined): boolean {
  if (!order || order.status === 'refunded') return false
  const lastRequest = order.events.findLastIndex(e => e.type === 'refund_requested')
  if (lastRequest === -1) return false
  return !order.events.slice(lastRequest + 1).some(e => ['refunded', 'partial_refund', 'disputed'].includes(e.type))
}


// ——— Coupons ———

/** "20%" or "₹100.00 off". */
export function couponValueText(coupon: Pick<Coupon, 'kind' | 'value' | 'currency'>): string {
  if (coupon.kind === 'percent') return `${coupon.value}%`
  try {
    return `${formatMoney(coupon.value, coupon.currency ?? 'INR')} off`
  } catch {
    return `${coupon.value} ${coupon.currency ?? ''} off`.trim()
  }
}

export function couponScopeText(coupon: Pick<Coupon, 'productIds'>): string {
  const n = coupon.productIds.length
  return n === 0 ? 'All products' : `${n} ${n === 1 ? 'product' : 'products'}`
}

/** The coupon's validity window in words: "Always", "From 1 Jan 2027", "Until …", "1 Jan 2027 – 31 Jan 2027". */
export function couponWindowText(coupon: Pick<Coupon, 'startsAt' | 'endsAt'>): string {
  if (coupon.startsAt && coupon.endsAt) return `${formatDate(coupon.startsAt)} – ${formatDate(coupon.endsAt)}`
  if (coupon.startsAt) return `From ${formatDate(coupon.startsAt)}`
  if (coupon.endsAt) return `Until ${formatDate(coupon.endsAt)}`
  return 'Always'
}

/** Where the coupon stands now: usable, scheduled, expired, used up or switched off. */
export function couponState(coupon: Coupon, now = Date.now()): { label: string; color: BadgeColor } {
  if (!coupon.isActive) return { label: 'Inactive', color: 'neutral' }
  if (coupon.endsAt && new Date(coupon.endsAt).getTime() <= now) return { label: 'Expired', color: 'error' }
  if (coupon.startsAt && new Date(coupon.startsAt).getTime() > now) return { label: 'Scheduled', color: 'info' }
  if (coupon.maxUses !== null && coupon.usedCount >= coupon.maxUses) return { label: 'Used up', color: 'warning' }
  return { label: 'Live', color: 'success' }
}

// ——— Payloads ———

/** A raw webhook body for reading: pretty-printed when it is JSON, as received otherwise. */
export function prettyPayload(payload: unknown): { text: string; json: boolean } {
  if (payload === null || payload === undefined || payload === '') return { text: '', json: false }
  if (typeof payload !== 'string') return { text: JSON.stringify(payload, null, 2), json: true }
  try {
    return { text: JSON.stringify(JSON.parse(payload), null, 2), json: true }
  } catch {
    return { text: payload, json: false }
  }
}

// ——— API calls ———

const enc = encodeURIComponent

export function useAdminOrders() {
  const api = useApi()

  return {
    listOrders: (query: AdminOrderQuery) => api<Paginated<AdminOrderRow>>('/api/admin/orders', { query }),
    getOrder: (id: string) => api<AdminOrder>(`/api/admin/orders/${enc(id)}`),
    refundOrder: (id: string, reason: string) => api<AdminOrder>(`/api/admin/orders/${enc(id)}/refund`, { method: 'POST', body: { reason } }),

    listWebhookEvents: (query: WebhookEventQuery) => api<Paginated<WebhookEvent>>('/api/admin/webhook-events', { query }),
    getWebhookEvent: (id: string) => api<WebhookEvent>(`/api/admin/webhook-events/${enc(id)}`),
    replayWebhookEvent: (id: string) => api<WebhookEvent>(`/api/admin/webhook-events/${enc(id)}/replay`, { method: 'POST', body: {} }),

    listCoupons: (query: CouponQuery) => api<Paginated<Coupon>>('/api/admin/coupons', { query }),
    createCoupon: (body: CouponBody) => api<Coupon>('/api/admin/coupons', { method: 'POST', body }),
    updateCoupon: (id: string, body: Partial<CouponBody>) => api<Coupon>(`/api/admin/coupons/${enc(id)}`, { method: 'PATCH', body }),
    deleteCoupon: (id: string) => api<{ deleted: boolean }>(`/api/admin/coupons/${enc(id)}`, { method: 'DELETE' }),
  }
}
