import { couponKinds, licenseTypeSchema, orderStatuses, paymentProviderSchema, productTypeSchema } from '@mintreu/contracts';
import { z } from 'zod';
import { listMeta, pageQuery } from '../users/schema.js';

export const orderItem = z.object({
  id: z.string(),
  productId: z.string(),
  productSlug: z.string(),
  productTitle: z.string(),
  planId: z.string().nullable(),
  planSlug: z.string().nullable(),
  planName: z.string().nullable(),
  licenseType: licenseTypeSchema,
  price: z.number().int().describe('Unit price at purchase, minor units'),
  licenseId: z.string().nullable(),
  apiKeyId: z.string().nullable(),
});

export const order = z.object({
  id: z.string(),
  status: z.enum(orderStatuses),
  items: z.array(orderItem),
  subtotal: z.number().int(),
  discount: z.number().int(),
  total: z.number().int(),
  currency: z.string(),
  couponCode: z.string().nullable(),
  provider: paymentProviderSchema.nullable(),
  createdAt: z.date(),
  paidAt: z.date().nullable(),
  fulfilledAt: z.date().nullable(),
  refundedAt: z.date().nullable(),
  expiresAt: z.date().nullable().describe('When an unpaid order closes'),
  statusReason: z.string().nullable(),
  paymentUrl: z.string().nullable().optional().describe('One order only: the hosted payment page of a pending order'),
});

export const quote = z.object({
  items: z.array(z.object({
    productId: z.string(), productSlug: z.string(), productTitle: z.string(), productType: productTypeSchema,
    planSlug: z.string().nullable(), planName: z.string().nullable(), licenseType: licenseTypeSchema, price: z.number().int(),
  })),
  subtotal: z.number().int(),
  discount: z.number().int(),
  total: z.number().int(),
  currency: z.string(),
  couponCode: z.string().nullable(),
  providers: z.array(paymentProviderSchema).describe('Providers this instance offers'),
  defaultProvider: paymentProviderSchema.nullable(),
  paymentsPaused: z.boolean().describe('The payments kill switch is engaged: paid checkout answers 503'),
});

export const paymentSession = z.object({ provider: paymentProviderSchema, sessionId: z.string(), url: z.string() });
export const checkoutResult = z.object({ order, payment: paymentSession.nullable() });
export const orderList = z.object({ data: z.array(order), meta: listMeta });
export const orderParams = z.object({ id: z.string().min(1).max(64) });
export const listOrdersQuery = z.object({ ...pageQuery, status: z.enum(orderStatuses).optional() });

const buyer = z.object({ id: z.string(), name: z.string(), email: z.string() });
export const adminOrderRow = order.extend({ user: buyer, flagged: z.boolean() });
export const adminOrder = adminOrderRow.extend({
  events: z.array(z.object({ id: z.string(), type: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()).nullable(), at: z.date() })),
});
export const adminOrderList = z.object({ data: z.array(adminOrderRow), meta: listMeta });
export const adminOrdersQuery = z.object({
  ...pageQuery,
  status: z.enum(orderStatuses).optional(),
  userId: z.string().max(64).optional(),
  provider: paymentProviderSchema.optional(),
  flagged: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  search: z.string().trim().min(1).max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export const refundBody = z.strictObject({
  reason: z.string().trim().min(3, 'Give a reason of at least 3 characters').max(500),
});

export const coupon = z.object({
  id: z.string(),
  code: z.string(),
  description: z.string().nullable(),
  kind: z.enum(couponKinds),
  value: z.number().int(),
  currency: z.string().nullable(),
  productIds: z.array(z.string()),
  startsAt: z.date().nullable(),
  endsAt: z.date().nullable(),
  maxUses: z.number().int().nullable(),
  maxUsesPerCustomer: z.number().int().nullable(),
  usedCount: z.number().int(),
  isActive: z.boolean(),
  createdAt: z.date(),
});
export const couponList = z.object({ data: z.array(coupon), meta: listMeta });
export const couponsQuery = z.object({ ...pageQuery, search: z.string().trim().min(1).max(100).optional() });
