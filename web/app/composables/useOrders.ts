// The buyer's side of checkout and orders (API.md "Checkout, payments, orders"): quote, checkout, own orders, the
// sandbox gateway's hosted page and our own Razorpay page. Types only from contracts, so no schema library reaches
// the storefront.
import type { LocationQuery, LocationQueryRaw } from 'vue-router'
import type { Ref } from 'vue'
import type { CheckoutQuote, CheckoutResult, Order, OrderItem, OrderStatus, PaymentProviderName, RazorpayCheckout, SandboxSession } from '@mintreu/contracts'
import type { Paginated } from '~/types/api'

export type { CheckoutQuote, CheckoutResult, Order, OrderItem, OrderStatus, PaymentProviderName, RazorpayCheckout, SandboxSession }

/** One line to buy: a product, and its plan for API products. */
export interface CheckoutLine {
  productSlug: string
  planSlug?: string
}

export interface SandboxAnswer {
  status: 'processing' | 'declined'
  redirectUrl: string
}

/** The seller shown on receipts and on the sandbox gateway's page. */
export const SELLER_NAME = 'Mintreu'

export function useOrders() {
  const api = useApi()
  return {
    quote: (body: { items: CheckoutLine[]; couponCode?: string; provider?: PaymentProviderName }) =>
      api<CheckoutQuote>('/api/checkout/quote', { method: 'POST', body }),
    checkout: (body: { items: CheckoutLine[]; couponCode?: string; provider?: PaymentProviderName }) =>
      api<CheckoutResult>('/api/checkout', { method: 'POST', body }),
    list: (query: { page?: number; perPage?: number; status?: OrderStatus }) =>
      api<Paginated<Order>>('/api/orders', { query }),
    get: (id: string) => api<Order>(`/api/orders/${encodeURIComponent(id)}`),
    cancel: (id: string) => api<Order>(`/api/orders/${encodeURIComponent(id)}/cancel`, { method: 'POST', body: {} }),
    sandboxSession: (sessionId: string) => api<SandboxSession>(`/api/pay/sandbox/${encodeURIComponent(sessionId)}`),
    answerSandbox: (sessionId: string, answer: 'pay' | 'decline') =>
      api<SandboxAnswer>(`/api/pay/sandbox/${encodeURIComponent(sessionId)}/${answer}`, { method: 'POST', body: {} }),
    /** What /pay/razorpay/{id} hands to Checkout.js; 404 for an unknown id or someone else's order. */
    razorpaySession: (sessionId: string) => api<RazorpayCheckout>(`/api/pay/razorpay/${encodeURIComponent(sessionId)}`),
  }
}

/** Where to go once checkout answered: the hosted payment page, or straight to the success page for a free order. */
export async function continueCheckout(result: CheckoutResult) {
  if (result.payment) {
    // A hosted page, possibly on another origin (Stripe, Razorpay): a full navigation.
    window.location.assign(result.payment.url)
    return
  }
  await navigateTo({ path: '/checkout/success', query: { order: result.order.id } })
}

/**
 * Claims a free product in one click (no checkout page): signed-out visitors sign in first and come back to the
 * checkout page, which offers the same claim.
 */
export function useFreeClaim() {
  const orders = useOrders()
  const notify = useNotify()
  const { loggedIn } = useSession()
  const pending = ref(false)

  async function claim(line: CheckoutLine) {
    if (!loggedIn.value) {
      await navigateTo({ path: '/sign-in', query: { redirect: checkoutLink([line]) } })
      return
    }
    pending.value = true
    try {
      await continueCheckout(await orders.checkout({ items: [line] }))
    } catch (err) {
      notify.error(err, 'Could not get this product')
    } finally {
      pending.value = false
    }
  }

  return { claim, pending }
}

// ---------------------------------------------------------------------------------------------------------------
// Checkout links: /checkout?product=<slug>&plan=<plan>; several items as product=<slug>[:<plan>] repeated.

export function checkoutLink(lines: CheckoutLine[], couponCode?: string | null): string {
  const query: LocationQueryRaw = {}
  if (lines.length === 1) {
    query.product = lines[0]!.productSlug
    if (lines[0]!.planSlug) query.plan = lines[0]!.planSlug
  } else {
    query.product = lines.map(l => (l.planSlug ? `${l.productSlug}:${l.planSlug}` : l.productSlug))
  }
  if (couponCode) query.coupon = couponCode
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') params.append(key, v)
  }
  return `/checkout?${params.toString()}`
}

/** The checkout link that buys an order's items again. */
export function retryLink(order: Pick<Order, 'items' | 'couponCode'>): string {
  return checkoutLink(order.items.map(i => ({ productSlug: i.productSlug, planSlug: i.planSlug ?? undefined })), order.couponCode)
}

const slugPattern = /^[a-z0-9][a-z0-9-]{0,119}$/

function strings(value: LocationQuery[string] | undefined): string[] {
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string')
}

/** The lines of a checkout URL; malformed entries are dropped (an empty list is the "nothing to buy" state). */
export function parseCheckoutQuery(query: LocationQuery): { lines: CheckoutLine[]; couponCode: string } {
  const products = strings(query.product).slice(0, 20)
  const plan = strings(query.plan)[0]
  const lines = products.flatMap((value): CheckoutLine[] => {
    const [productSlug = '', planSlug] = value.trim().toLowerCase().split(':')
    if (!slugPattern.test(productSlug) || (planSlug !== undefined && !slugPattern.test(planSlug))) return []
    return [{ productSlug, ...(planSlug ? { planSlug } : {}) }]
  })
  if (lines.length === 1 && !lines[0]!.planSlug && plan && slugPattern.test(plan.trim().toLowerCase())) {
    lines[0]!.planSlug = plan.trim().toLowerCase()
  }
  const couponCode = (strings(query.coupon)[0] ?? '').trim().slice(0, 40)
  return { lines, couponCode }
}

// ---------------------------------------------------------------------------------------------------------------
// Order status in plain words

type BadgeColor = 'neutral' | 'primary' | 'success' | 'warning' | 'error' | 'info'

export const orderStatusInfo: Record<OrderStatus, { label: string; color: BadgeColor; icon: string; description: string }> = {
  pending: { label: 'Awaiting payment', color: 'warning', icon: 'i-lucide-clock', description: 'Waiting for the payment to be confirmed.' },
  paid: { label: 'Paid', color: 'info', icon: 'i-lucide-credit-card', description: 'Paid; the licence is being issued.' },
  fulfilled: { label: 'Fulfilled', color: 'success', icon: 'i-lucide-circle-check', description: 'Paid and delivered.' },
  failed: { label: 'Failed', color: 'error', icon: 'i-lucide-circle-x', description: 'The payment did not go through. Nothing was charged.' },
  canceled: { label: 'Canceled', color: 'neutral', icon: 'i-lucide-ban', description: 'Closed before payment.' },
  refunded: { label: 'Refunded', color: 'neutral', icon: 'i-lucide-undo-2', description: 'The payment was returned; what it granted was revoked.' },
  disputed: { label: 'Disputed', color: 'error', icon: 'i-lucide-shield-alert', description: 'The payment is disputed with the bank.' },
}

/** States an order does not leave by itself (a paid order still waits for its licences). */
export const settledOrderStatuses: readonly OrderStatus[] = ['fulfilled', 'failed', 'canceled', 'refunded', 'disputed']

/** "2048 Game Premium — Pro" */
export function orderItemName(item: Pick<OrderItem, 'productTitle' | 'planName'>): string {
  return item.planName ? `${item.productTitle} — ${item.planName}` : item.productTitle
}

/** Money on receipts and totals: ₹0.00 stays a number there. */
export function formatAmount(minor: number, currency: string): string {
  return minor ? formatMoney(minor, currency) : formatMoney(1, currency).replace(/\d/g, '0')
}

/**
 * Keeps an order fresh while it is still moving (pending → paid → fulfilled): polls every second at first, then
 * backs off to every 10 s, and stops once the order is settled, the page is left, or `until` says so.
 */
export function useOrderPolling(order: Ref<Order | null | undefined>, options: { until?: (order: Order) => boolean } = {}) {
  const orders = useOrders()
  const pollError = ref<unknown>(null)
  const polling = ref(false)
  const startedAt = ref<number | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let attempts = 0
  let stopped = false

  const done = (value: Order) => settledOrderStatuses.includes(value.status) || !!options.until?.(value)

  function delay() {
    // ~1 s for the first 10 polls, then ×1.5 up to 10 s; an order waiting on paused licensing checks every 10 s.
    if (order.value?.statusReason && order.value.status === 'paid') return 10_000
    return attempts < 10 ? 1000 : Math.min(10_000, 1000 * 1.5 ** (attempts - 9))
  }

  function schedule() {
    clearTimeout(timer)
    if (stopped || !order.value || done(order.value)) {
      polling.value = false
      return
    }
    polling.value = true
    timer = setTimeout(poll, delay())
  }

  async function poll() {
    if (!order.value || stopped) return
    attempts++
    try {
      order.value = await orders.get(order.value.id)
      pollError.value = null
    } catch (err) {
      pollError.value = err
    }
    schedule()
  }

  // A tab brought back to the front checks at once instead of waiting out a long delay.
  function onVisible() {
    if (document.visibilityState === 'visible' && polling.value) {
      clearTimeout(timer)
      poll()
    }
  }

  onMounted(() => {
    startedAt.value = Date.now()
    document.addEventListener('visibilitychange', onVisible)
    schedule()
  })
  onBeforeUnmount(() => {
    stopped = true
    clearTimeout(timer)
    document.removeEventListener('visibilitychange', onVisible)
  })
  // A fresh order (e.g. after a retry) starts over.
  watch(() => order.value?.id, () => {
    attempts = 0
    if (import.meta.client && !stopped) schedule()
  })

  return { polling, pollError, startedAt }
}
