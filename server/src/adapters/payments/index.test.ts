import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../env.js';
import { createPaymentProviders, defaultProviderName, PaymentConfigurationError } from './index.js';

const secrets = { paymentSandboxSecret: 'whsec_sandbox_0123456789abcdef' };
const sandboxDeliver = async () => {};
const stripe = { STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' };
const razorpay = { RAZORPAY_KEY_ID: 'rzp_test_1', RAZORPAY_KEY_SECRET: 's', RAZORPAY_WEBHOOK_SECRET: 'w' };
const providersFor = (source: Record<string, string>) => createPaymentProviders(loadEnv(source), secrets, { sandboxDeliver });

describe('payment providers from settings', () => {
  it('offers only the sandbox out of the box, on PUBLIC_URL', async () => {
    const providers = providersFor({ PUBLIC_URL: 'https://shop.example' });
    expect([...providers.keys()]).toEqual(['sandbox']);
    const session = await providers.get('sandbox')!.createCheckout({
      orderId: 'ord_1', amount: 100, currency: 'INR', customerEmail: 'a@example.com', lineItems: [],
      successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/no', expiresAt: new Date(),
    });
    expect(session.url.startsWith('https://shop.example/pay/sandbox/cs_sandbox_')).toBe(true);
    expect(defaultProviderName(loadEnv({}), providers)).toBe('sandbox');
  });

  it('adds Stripe and Razorpay when configured, drops the sandbox then unless asked for, and prefers a real provider', () => {
    const providers = providersFor({ ...stripe, ...razorpay });
    expect([...providers.keys()]).toEqual(['stripe', 'razorpay']);
    expect([...providersFor({ ...stripe, PAYMENT_SANDBOX_ENABLED: 'true' }).keys()]).toEqual(['stripe', 'sandbox']);
    expect(providers.get('razorpay')!.name).toBe('razorpay');
    expect(defaultProviderName(loadEnv({}), providers)).toBe('stripe');
    expect(defaultProviderName(loadEnv({}), providersFor({ ...razorpay }))).toBe('razorpay');
  });

  it('leaves the sandbox out when PAYMENT_SANDBOX_ENABLED=false; no provider means no default', () => {
    const none = providersFor({ PAYMENT_SANDBOX_ENABLED: 'false' });
    expect(none.size).toBe(0);
    expect(defaultProviderName(loadEnv({}), none)).toBeNull();
  });

  it('honours PAYMENT_DEFAULT_PROVIDER, and refuses one that is not enabled', () => {
    const providers = providersFor({ ...stripe, PAYMENT_SANDBOX_ENABLED: 'true' });
    expect(defaultProviderName(loadEnv({ PAYMENT_DEFAULT_PROVIDER: 'sandbox' }), providers)).toBe('sandbox');
    expect(() => defaultProviderName(loadEnv({ PAYMENT_DEFAULT_PROVIDER: 'razorpay' }), providers))
      .toThrow(new PaymentConfigurationError('PAYMENT_DEFAULT_PROVIDER=razorpay, but razorpay is not enabled (enabled: stripe, sandbox)'));
  });
});
