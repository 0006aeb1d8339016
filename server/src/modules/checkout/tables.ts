import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { at, timestamps } from '../../db/columns.js';
import { users } from '../auth/tables.js';
import { plans, products } from '../catalog/tables.js';

export const coupons = pgTable(
  'coupons',
  {
    id: text('id').primaryKey(),
    /** Stored upper-case; buyers type it in any case. */
    code: text('code').notNull().unique(),
    description: text('description'),
    /** percent | fixed */
    kind: text('kind').notNull(),
    /** Percent (1–100), or minor units of `currency` for a fixed discount. */
    value: integer('value').notNull(),
    currency: text('currency'),
    /** Empty: every product. */
    productIds: jsonb('product_ids').$type<string[]>().notNull().default([]),
    startsAt: at('starts_at'),
    endsAt: at('ends_at'),
    maxUses: integer('max_uses'),
    maxUsesPerCustomer: integer('max_uses_per_customer'),
    /** Uses held by live orders (pending, paid, fulfilled…); released when an order fails, is canceled or expires. */
    usedCount: integer('used_count').notNull().default(0),
    isActive: boolean('is_active').notNull().default(true),
    ...timestamps,
  },
  (t) => [
    check('coupons_kind_valid', sql`${t.kind} in ('percent','fixed')`),
    check('coupons_value_valid', sql`${t.value} > 0 and (${t.kind} <> 'percent' or ${t.value} <= 100)`),
    check('coupons_used_within_limit', sql`${t.usedCount} >= 0 and (${t.maxUses} is null or ${t.usedCount} <= ${t.maxUses})`),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'restrict' }),
    /** pending | paid | fulfilled | failed | canceled | refunded | disputed (contracts: orderTransitions) */
    status: text('status').notNull().default('pending'),
    /** Why it failed, was canceled, or is waiting. */
    statusReason: text('status_reason'),
    subtotal: integer('subtotal').notNull(),
    discount: integer('discount').notNull().default(0),
    total: integer('total').notNull(),
    currency: text('currency').notNull(),
    couponId: text('coupon_id').references(() => coupons.id, { onDelete: 'set null' }),
    couponCode: text('coupon_code'),
    /** Null for a zero-total order. */
    provider: text('provider'),
    /** The provider's id of the money movement (payment intent, Razorpay payment id…), for refunds. */
    providerPaymentId: text('provider_payment_id'),
    /** An event disagreed with the order (amount, currency): never fulfilled, shown to the admin. */
    flagged: boolean('flagged').notNull().default(false),
    /** A refund or dispute arrived before the payment; applied once the payment lands. */
    pendingReversal: text('pending_reversal'),
    expiresAt: at('expires_at'),
    paidAt: at('paid_at'),
    fulfilledAt: at('fulfilled_at'),
    refundedAt: at('refunded_at'),
    canceledAt: at('canceled_at'),
    /** When the receipt mail went out; null for a fulfilled order still owed one. */
    receiptSentAt: at('receipt_sent_at'),
    ...timestamps,
  },
  (t) => [
    index('orders_receipt_due_idx').on(t.fulfilledAt).where(sql`${t.status} = 'fulfilled' and ${t.receiptSentAt} is null`),
    index('orders_user_created_idx').on(t.userId, t.createdAt.desc()),
    index('orders_status_created_idx').on(t.status, t.createdAt.desc()),
    // The expiry sweep and the "fulfil what waited for licensing" sweep.
    index('orders_pending_expiry_idx').on(t.expiresAt).where(sql`${t.status} = 'pending'`),
    index('orders_paid_idx').on(t.paidAt).where(sql`${t.status} = 'paid'`),
    check('orders_status_valid', sql`${t.status} in ('pending','paid','fulfilled','failed','canceled','refunded','disputed')`),
    check('orders_amounts_valid', sql`${t.subtotal} >= 0 and ${t.discount} >= 0 and ${t.total} = ${t.subtotal} - ${t.discount}`),
  ],
);

export const orderItems = pgTable(
  'order_items',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    productId: text('product_id').notNull().references(() => products.id, { onDelete: 'restrict' }),
    /** Captured at purchase: the receipt reads the same after the product changes. */
    productSlug: text('product_slug').notNull(),
    productTitle: text('product_title').notNull(),
    productType: text('product_type').notNull(),
    planId: text('plan_id').references(() => plans.id, { onDelete: 'set null' }),
    planSlug: text('plan_slug'),
    planName: text('plan_name'),
    licenseType: text('license_type').notNull(),
    /** Unit price at purchase, minor units of the order's currency. */
    price: integer('price').notNull(),
    /** What fulfilment granted; set in the fulfilment transaction. */
    licenseId: text('license_id'),
    apiKeyId: text('api_key_id'),
    position: integer('position').notNull().default(0),
  },
  (t) => [index('order_items_order_idx').on(t.orderId, t.position), index('order_items_product_idx').on(t.productId)],
);

/** The order's timeline: what happened and when, for the buyer's receipt and the admin's detail view. */
export const orderEvents = pgTable(
  'order_events',
  {
    id: text('id').primaryKey(),
    orderId: text('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    message: text('message').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>(),
    at: at('at').notNull().defaultNow(),
  },
  (t) => [index('order_events_order_idx').on(t.orderId, t.at)],
);

export const couponRedemptions = pgTable(
  'coupon_redemptions',
  {
    id: text('id').primaryKey(),
    couponId: text('coupon_id').notNull().references(() => coupons.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    orderId: text('order_id').notNull().references(() => orders.id, { onDelete: 'cascade' }),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('coupon_redemptions_order_idx').on(t.orderId), index('coupon_redemptions_coupon_user_idx').on(t.couponId, t.userId)],
);
