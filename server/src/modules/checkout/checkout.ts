import { licenseTypeInfo, productTypeRules, type CheckoutBody, type LicenseType, type PaymentProviderName, type ProductType } from '@mintreu/contracts';
import { and, eq, inArray } from 'drizzle-orm';
import type { Actor } from '../../lib/actor.js';
import { recordAudit, withDeferredAudit } from '../../lib/audit.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { plans, products } from '../catalog/tables.js';
import { payments } from '../payments/tables.js';
import type { Commerce } from './context.js';
import { previewCoupon, releaseCoupon, reserveCoupon } from './coupons.js';
import { fulfilOrder } from './fulfil.js';
import { addOrderEvent, getOwnOrder, lockOrder, moveOrder } from './orders.js';
import { sendReceiptsSoon } from './receipts.js';
import { orderItems, orders } from './tables.js';

const itemError = (index: number, field: string, message: string, code = 'VALIDATION_FAILED') =>
  new AppError(code, message, { status: 400, details: [{ path: `body.items.${index}.${field}`, message }] });

interface Line {
  productId: string;
  productSlug: string;
  productTitle: string;
  productType: ProductType;
  planId: string | null;
  planSlug: string | null;
  planName: string | null;
  licenseType: LicenseType;
  price: number;
  currency: string;
}

/** Each item priced from the catalogue as it is now: published products only, active plans only. */
async function priceItems(commerce: Commerce, items: CheckoutBody['items']): Promise<Line[]> {
  const slugs = [...new Set(items.map((i) => i.productSlug))];
  const found = await commerce.db.select().from(products).where(and(inArray(products.slug, slugs), eq(products.status, 'published')));
  const bySlug = new Map(found.map((p) => [p.slug, p]));
  const planRows = found.length
    ? await commerce.db.select().from(plans).where(and(inArray(plans.productId, found.map((p) => p.id)), eq(plans.isActive, true)))
    : [];
  return items.map((item, index) => {
    const product = bySlug.get(item.productSlug);
    // Drafts, archived and unknown products are all simply not for sale.
    if (!product) throw new AppError('NOT_FOUND', `Product ${item.productSlug} not found`, { details: [{ path: `body.items.${index}.productSlug` }] });
    const type = product.type as ProductType;
    if (productTypeRules[type].hasPlans) {
      if (!item.planSlug) throw itemError(index, 'planSlug', `Choose a plan for ${product.title}`);
      const plan = planRows.find((p) => p.productId === product.id && p.slug === item.planSlug);
      if (!plan) throw new AppError('NOT_FOUND', `Plan ${item.planSlug} not found for ${product.title}`, { details: [{ path: `body.items.${index}.planSlug` }] });
      if (item.licenseType && item.licenseType !== 'api_subscription') {
        throw itemError(index, 'licenseType', 'API products come with an API subscription licence');
      }
      return {
        productId: product.id, productSlug: product.slug, productTitle: product.title, productType: type,
        planId: plan.id, planSlug: plan.slug, planName: plan.name, licenseType: 'api_subscription', price: plan.price, currency: plan.currency,
      };
    }
    if (item.planSlug) throw itemError(index, 'planSlug', `${product.title} is not sold through plans`);
    const licenseType = product.defaultLicense as LicenseType;
    if (item.licenseType && item.licenseType !== licenseType) {
      throw itemError(index, 'licenseType', `${product.title} is sold with the ${licenseTypeInfo[licenseType].label.toLowerCase()}`);
    }
    return {
      productId: product.id, productSlug: product.slug, productTitle: product.title, productType: type,
      planId: null, planSlug: null, planName: null, licenseType, price: type === 'freebie' ? 0 : product.price, currency: product.currency,
    };
  });
}

function chooseProvider(commerce: Commerce, asked: PaymentProviderName | undefined) {
  const name = asked ?? commerce.defaultProvider;
  const provider = name ? commerce.providers.get(name) : undefined;
  if (!provider) {
    const message = asked ? `The ${asked} payment provider is not available` : 'No payment provider is configured';
    throw new AppError(asked ? 'VALIDATION_FAILED' : 'SERVICE_UNAVAILABLE', message, asked ? { status: 400, details: [{ path: 'body.provider', message }] } : {});
  }
  return provider;
}

/**
 * POST /api/checkout/quote: what checkout would charge (items, coupon, total) and how it can be paid, without
 * creating anything. The checkout page shows it before the buyer commits.
 */
export async function quoteCheckout(commerce: Commerce, input: CheckoutBody, actor: Actor) {
  const lines = await priceItems(commerce, input.items);
  const currency = lines[0]!.currency;
  if (lines.some((l) => l.currency !== currency)) {
    throw new AppError('VALIDATION_FAILED', 'Items priced in different currencies must be bought separately', { details: [{ path: 'body.items' }] });
  }
  const subtotal = lines.reduce((sum, l) => sum + l.price, 0);
  const coupon = input.couponCode
    ? await previewCoupon(commerce.db, { code: input.couponCode, userId: actor.user!.id, currency, lines })
    : null;
  const discount = coupon?.discount ?? 0;
  return {
    items: lines.map((l) => ({
      productId: l.productId, productSlug: l.productSlug, productTitle: l.productTitle, productType: l.productType,
      planSlug: l.planSlug, planName: l.planName, licenseType: l.licenseType, price: l.price,
    })),
    subtotal,
    discount,
    total: subtotal - discount,
    currency,
    couponCode: coupon?.coupon.code ?? null,
    providers: [...commerce.providers.keys()],
    defaultProvider: commerce.defaultProvider,
    paymentsPaused: commerce.live.isEngaged('payments'),
  };
}

/**
 * POST /api/checkout: prices the items, reserves the coupon, creates the order and opens a hosted payment
 * session. A zero-total order is paid and fulfilled at once and has no payment session.
 */
export async function startCheckout(commerce: Commerce, input: CheckoutBody & { items: CheckoutBody['items'] }, actor: Actor) {
  const user = actor.user!;
  const lines = await priceItems(commerce, input.items);
  const currency = lines[0]!.currency;
  if (lines.some((l) => l.currency !== currency)) {
    throw new AppError('VALIDATION_FAILED', 'Items priced in different currencies must be bought separately', { details: [{ path: 'body.items' }] });
  }
  const subtotal = lines.reduce((sum, l) => sum + l.price, 0);
  // Paid checkouts need the payments capability and a provider; an order that costs nothing moves no money and
  // needs neither. Without a coupon the total is known here; with one it is known once the coupon is reserved,
  // and the check is made there (a refusal rolls the reservation back).
  const surelyPaid = subtotal > 0 && !input.couponCode;
  const provider = surelyPaid ? chooseProvider(commerce, input.provider) : null;
  if (surelyPaid) commerce.live.assertReleased('payments');

  const orderId = newId('order');
  const expiresAt = new Date(Date.now() + commerce.env.ORDER_EXPIRY_MINUTES * 60_000);
  const created = await withDeferredAudit(commerce.db, async (tx) => {
    const coupon = input.couponCode
      ? await reserveCoupon(tx, { code: input.couponCode, userId: user.id, currency, lines })
      : null;
    const discount = coupon?.discount ?? 0;
    const total = subtotal - discount;
    if (total > 0) commerce.live.assertReleased('payments');
    const chosen = total > 0 ? (provider ?? chooseProvider(commerce, input.provider)) : null;
    const [order] = await tx.insert(orders).values({
      id: orderId, userId: user.id, status: 'pending', subtotal, discount, total, currency,
      couponId: coupon?.coupon.id ?? null, couponCode: coupon?.coupon.code ?? null,
      provider: chosen?.name ?? null, expiresAt: total > 0 ? expiresAt : null,
    }).returning();
    await coupon?.redeem(orderId);
    await tx.insert(orderItems).values(lines.map((line, position) => ({
      id: newId('orderItem'), orderId, position, productId: line.productId, productSlug: line.productSlug, productTitle: line.productTitle,
      productType: line.productType, planId: line.planId, planSlug: line.planSlug, planName: line.planName,
      licenseType: line.licenseType, price: line.price,
    })));
    await addOrderEvent(tx, orderId, 'created', `Order placed: ${lines.length} item${lines.length === 1 ? '' : 's'}`, {
      subtotal, discount, total, currency, ...(coupon ? { coupon: coupon.coupon.code } : {}),
    });
    await recordAudit(tx, actor, { action: 'order.create', entityType: 'order', entityId: orderId, after: { subtotal, discount, total, currency, items: lines.map((l) => l.productSlug), coupon: coupon?.coupon.code ?? null } });
    if (total === 0) {
      const paid = await moveOrder(tx, order!, 'paid', { actor, message: 'Nothing to pay: free order' });
      await fulfilOrder(tx, commerce, paid, actor);
    }
    return { total, provider: chosen };
  });

  if (created.total === 0) {
    sendReceiptsSoon(commerce);
    return { order: await getOwnOrder(commerce.db, user.id, orderId), payment: null };
  }

  const gateway = created.provider!;
  const base = commerce.env.PUBLIC_URL;
  let session: { sessionId: string; url: string };
  try {
    session = await gateway.createCheckout({
      orderId,
      amount: created.total,
      currency,
      customerEmail: user.email,
      lineItems: lines.map((l) => ({ name: l.planName ? `${l.productTitle} — ${l.planName}` : l.productTitle, amount: l.price, quantity: 1 })),
      successUrl: `${base}/checkout/success?order=${orderId}`,
      cancelUrl: `${base}/checkout/canceled?order=${orderId}`,
      expiresAt,
    });
  } catch (error) {
    commerce.log(`${gateway.name} createCheckout failed for ${orderId}`, error);
    await commerce.db.transaction(async (tx) => {
      const order = await lockOrder(tx, orderId);
      if (order?.status === 'pending') {
        // Coupon before audit: see releaseCoupon.
        await releaseCoupon(tx, orderId);
        await moveOrder(tx, order, 'failed', { actor, message: 'The payment provider could not open a payment page', reason: 'The payment provider is unavailable; nothing was charged.' });
      }
    });
    throw new AppError('PAYMENT_PROVIDER_UNAVAILABLE', `${gateway.name} could not start the payment. Nothing was charged; please try again.`, {
      status: 502, details: { provider: gateway.name },
    });
  }
  await commerce.db.transaction(async (tx) => {
    await tx.insert(payments).values({
      id: newId('payment'), orderId, provider: gateway.name, sessionId: session.sessionId, url: session.url,
      amount: created.total, currency,
    });
    await addOrderEvent(tx, orderId, 'payment_session', `Payment page opened with ${gateway.name}`, { sessionId: session.sessionId });
  });
  return {
    order: await getOwnOrder(commerce.db, user.id, orderId),
    payment: { provider: gateway.name, sessionId: session.sessionId, url: session.url },
  };
}
