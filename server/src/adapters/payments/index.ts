import type { Env } from '../../env.js';
import type { Secrets } from '../../lib/secrets.js';
import { createRazorpayProvider } from './razorpay.js';
import { createSandboxProvider, type SandboxDeliver } from './sandbox.js';
import { createStripeProvider } from './stripe.js';
import type { PaymentProvider, PaymentProviderName } from './types.js';

export * from './types.js';
export {
  buildSandboxEvent,
  createSandboxProvider,
  sandboxEventTypes,
  SANDBOX_SIGNATURE_HEADER,
  SANDBOX_TOLERANCE_SECONDS,
  signSandboxPayload,
  verifySandboxWebhook,
  type SandboxDeliver,
  type SandboxEventBody,
  type SandboxEventData,
  type SandboxEventType,
  type SandboxRefundRequest,
  type SandboxSettings,
} from './sandbox.js';
export { createStripeProvider, normaliseStripeEvent, STRIPE_TOLERANCE_SECONDS, type StripeSettings } from './stripe.js';
export { createRazorpayProvider, verifyRazorpayWebhook, type RazorpaySettings } from './razorpay.js';

export type PaymentSettings = Pick<
  Env,
  | 'PUBLIC_URL'
  | 'PAYMENT_SANDBOX_ENABLED'
  | 'PAYMENT_DEFAULT_PROVIDER'
  | 'STRIPE_SECRET_KEY'
  | 'STRIPE_WEBHOOK_SECRET'
  | 'STRIPE_API_BASE'
  | 'RAZORPAY_KEY_ID'
  | 'RAZORPAY_KEY_SECRET'
  | 'RAZORPAY_WEBHOOK_SECRET'
  | 'RAZORPAY_API_BASE'
>;

/**
 * The providers the settings enable: Stripe and Razorpay when their keys are set (env.ts already refuses half a
 * configuration), the sandbox when PAYMENT_SANDBOX_ENABLED says so or, unset, when neither is (the offline
 * default). Insertion order is the preference order.
 */
export function createPaymentProviders(
  env: PaymentSettings,
  secrets: Pick<Secrets, 'paymentSandboxSecret'>,
  options: { sandboxDeliver: SandboxDeliver },
): Map<PaymentProviderName, PaymentProvider> {
  const providers = new Map<PaymentProviderName, PaymentProvider>();
  if (env.STRIPE_SECRET_KEY && env.STRIPE_WEBHOOK_SECRET) {
    providers.set('stripe', createStripeProvider({
      secretKey: env.STRIPE_SECRET_KEY,
      webhookSecret: env.STRIPE_WEBHOOK_SECRET,
      apiBase: env.STRIPE_API_BASE,
    }));
  }
  if (env.RAZORPAY_KEY_ID && env.RAZORPAY_KEY_SECRET && env.RAZORPAY_WEBHOOK_SECRET) {
    providers.set('razorpay', createRazorpayProvider({
      keyId: env.RAZORPAY_KEY_ID,
      keySecret: env.RAZORPAY_KEY_SECRET,
      webhookSecret: env.RAZORPAY_WEBHOOK_SECRET,
      apiBase: env.RAZORPAY_API_BASE,
      publicUrl: env.PUBLIC_URL,
    }));
  }
  if (env.PAYMENT_SANDBOX_ENABLED ?? providers.size === 0) {
    providers.set('sandbox', createSandboxProvider({
      secret: secrets.paymentSandboxSecret,
      publicUrl: env.PUBLIC_URL,
      deliver: options.sandboxDeliver,
    }));
  }
  return providers;
}

export class PaymentConfigurationError extends Error {}

/**
 * The provider checkout uses when the buyer names none: PAYMENT_DEFAULT_PROVIDER when set (it must be enabled —
 * a typo'd or unconfigured default fails at start-up, not at the first sale); otherwise the first real provider
 * configured (Stripe, then Razorpay), then the sandbox. Null when no provider is enabled at all: paid checkout
 * is then unavailable, free orders still work.
 */
export function defaultProviderName(
  env: Pick<Env, 'PAYMENT_DEFAULT_PROVIDER'>,
  providers: ReadonlyMap<PaymentProviderName, PaymentProvider>,
): PaymentProviderName | null {
  const wanted = env.PAYMENT_DEFAULT_PROVIDER;
  if (wanted) {
    if (!providers.has(wanted)) {
      throw new PaymentConfigurationError(
        `PAYMENT_DEFAULT_PROVIDER=${wanted}, but ${wanted} is not enabled (enabled: ${[...providers.keys()].join(', ') || 'none'})`,
      );
    }
    return wanted;
  }
  return providers.keys().next().value ?? null;
}
