// Razorpay's Checkout.js, for our /pay/razorpay page: Razorpay serves it from its own origin (no npm package), so it
// is added as a script tag when the page needs it, once per page load. The server's CSP allows that origin only when
// Razorpay is configured. Only what the page uses is typed.

export const RAZORPAY_CHECKOUT_URL = 'https://checkout.razorpay.com/v1/checkout.js'

/** What Checkout.js passes to `handler` after a payment. Not proof of payment: the signed webhook is. */
export interface RazorpayPaymentResponse {
  razorpay_payment_id: string
  razorpay_order_id: string
  razorpay_signature: string
}

export interface RazorpayOptions {
  key: string
  order_id: string
  /** Minor units. */
  amount: number
  currency: string
  name: string
  description: string
  prefill: { name?: string; email?: string }
  notes: Record<string, string>
  handler: (response: RazorpayPaymentResponse) => void
  modal: { ondismiss: () => void }
}

export interface RazorpayInstance {
  open(): void
}

export type RazorpayConstructor = new (options: RazorpayOptions) => RazorpayInstance

declare global {
  interface Window {
    Razorpay?: RazorpayConstructor
  }
}

let loading: Promise<RazorpayConstructor> | null = null

/**
 * Adds Checkout.js to the page (once) and resolves with its `Razorpay` constructor. A failure (offline, blocked,
 * timed out) removes the tag and rejects, so a retry starts afresh.
 */
export function loadRazorpay(timeoutMs = 20_000): Promise<RazorpayConstructor> {
  if (window.Razorpay) return Promise.resolve(window.Razorpay)
  loading ??= new Promise<RazorpayConstructor>((resolve, reject) => {
    const script = document.createElement('script')
    const done = () => {
      clearTimeout(timer)
      script.onload = null
      script.onerror = null
    }
    const fail = (reason: string) => {
      done()
      script.remove()
      loading = null
      reject(new Error(`Razorpay Checkout ${reason}`))
    }
    const timer = setTimeout(() => fail('timed out'), timeoutMs)
    script.onload = () => {
      if (!window.Razorpay) return fail('loaded without defining Razorpay')
      done()
      resolve(window.Razorpay)
    }
    script.onerror = () => fail('could not be loaded')
    script.src = RAZORPAY_CHECKOUT_URL
    script.async = true
    document.head.appendChild(script)
  })
  return loading
}
