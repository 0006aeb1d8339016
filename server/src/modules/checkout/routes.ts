import { checkoutBodySchema, couponBodySchema, couponUpdateSchema } from '@mintreu/contracts';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { quoteCheckout, startCheckout } from './checkout.js';
import * as coupons from './coupons.js';
import { getAdminOrder, getOwnOrder, listAdminOrders, listOwnOrders } from './orders.js';
import { cancelOwnOrder, refundOrder } from './refunds.js';
import {
  adminOrder, adminOrderList, adminOrdersQuery, checkoutResult, quote, coupon, couponList, couponsQuery, listOrdersQuery, order,
  orderList, orderParams, refundBody,
} from './schema.js';

/** The buyer's side: checkout and their own orders. */
export async function checkoutRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.post('/checkout', {
    config: { access: 'customer' },
    schema: { tags: ['checkout'], summary: 'Start a checkout: an order and its hosted payment page', body: checkoutBodySchema, response: { 201: checkoutResult } },
  }, async (request, reply) => reply.status(201).send(await startCheckout(app.commerce, request.body, request.actor)));

  app.post('/checkout/quote', {
    config: { access: 'customer' },
    schema: { tags: ['checkout'], summary: 'Price a checkout (items, coupon, total, providers) without creating an order', body: checkoutBodySchema, response: { 200: quote } },
  }, async (request) => quoteCheckout(app.commerce, request.body, request.actor));

  app.get('/orders', {
    config: { access: 'customer' },
    schema: { tags: ['checkout'], summary: 'Your orders, newest first', querystring: listOrdersQuery, response: { 200: orderList } },
  }, async (request) => listOwnOrders(app.db, request.actor.user!.id, request.query));

  app.get('/orders/:id', {
    config: { access: 'customer' },
    schema: { tags: ['checkout'], summary: 'One of your orders', params: orderParams, response: { 200: order } },
  }, async (request) => getOwnOrder(app.db, request.actor.user!.id, request.params.id));

  app.post('/orders/:id/cancel', {
    config: { access: 'customer' },
    schema: { tags: ['checkout'], summary: 'Cancel one of your unpaid orders', params: orderParams, response: { 200: order } },
  }, async (request) => cancelOwnOrder(app.commerce, request.actor.user!.id, request.params.id, request.actor));
}

/** The admin's side: every order, refunds, coupons. */
export async function checkoutAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  app.get('/orders', {
    config: { access: 'admin' },
    schema: { tags: ['admin: orders'], summary: 'Orders with filters', querystring: adminOrdersQuery, response: { 200: adminOrderList } },
  }, async (request) => listAdminOrders(app.db, request.query));

  app.get('/orders/:id', {
    config: { access: 'admin' },
    schema: { tags: ['admin: orders'], summary: 'An order with its buyer and timeline', params: orderParams, response: { 200: adminOrder } },
  }, async (request) => getAdminOrder(app.db, request.params.id));

  app.post('/orders/:id/refund', {
    config: { access: 'admin' },
    schema: { tags: ['admin: orders'], summary: 'Refund an order through its payment provider', params: orderParams, body: refundBody, response: { 200: adminOrder } },
  }, async (request) => refundOrder(app.commerce, request.params.id, request.body.reason, request.actor));

  app.get('/coupons', {
    config: { access: 'admin' },
    schema: { tags: ['admin: coupons'], summary: 'Coupons', querystring: couponsQuery, response: { 200: couponList } },
  }, async (request) => coupons.listCoupons(app.db, request.query));

  app.post('/coupons', {
    config: { access: 'admin' },
    schema: { tags: ['admin: coupons'], summary: 'Create a coupon', body: couponBodySchema, response: { 201: coupon } },
  }, async (request, reply) => reply.status(201).send(await coupons.createCoupon(app.db, request.body, request.actor)));

  app.patch('/coupons/:id', {
    config: { access: 'admin' },
    schema: { tags: ['admin: coupons'], summary: 'Change a coupon', params: orderParams, body: couponUpdateSchema, response: { 200: coupon } },
  }, async (request) => coupons.updateCoupon(app.db, request.params.id, request.body, request.actor));

  app.delete('/coupons/:id', {
    config: { access: 'admin' },
    schema: { tags: ['admin: coupons'], summary: 'Delete a coupon (one that orders used is deactivated instead)', params: orderParams, response: { 200: z.object({ deleted: z.boolean() }) } },
  }, async (request) => coupons.deleteCoupon(app.db, request.params.id, request.actor));
}
