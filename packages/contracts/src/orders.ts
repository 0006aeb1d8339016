// Checkout and coupon request schemas, shared by the API (validation) and the web (forms).
import { z } from 'zod'
import { licenseTypeSchema } from './catalog.js'
import { couponKinds, paymentProviders } from './commerce.js'

export const paymentProviderSchema = z.enum(paymentProviders)

export const couponCodeSchema = z
  .string()
  .trim()
  .min(3, 'A code has at least 3 characters')
  .max(40, 'Keep the code under 40 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'Letters, digits, dashes and underscores only')
  .transform((code) => code.toUpperCase())

export const checkoutBodySchema = z.strictObject({
  items: z.array(z.strictObject({
    productSlug: z.string().min(1).max(120),
    planSlug: z.string().min(1).max(120).optional(),
    licenseType: licenseTypeSchema.optional(),
  })).min(1, 'Choose at least one product').max(20, 'At most 20 items per order'),
  provider: paymentProviderSchema.optional(),
  couponCode: couponCodeSchema.optional(),
})
export type CheckoutBody = z.input<typeof checkoutBodySchema>

const isoDate = z.iso.datetime({ offset: true })

const couponFields = z.strictObject({
  code: couponCodeSchema,
  description: z.string().trim().max(500).nullable().optional(),
  kind: z.enum(couponKinds),
  /** Percent (1–100) for `percent`; minor units of `currency` for `fixed`. */
  value: z.number().int().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, 'An ISO 4217 code such as INR').nullable().optional(),
  /** Products the coupon applies to; empty or absent means every product. */
  productIds: z.array(z.string().min(1).max(64)).max(200).optional(),
  startsAt: isoDate.nullable().optional(),
  endsAt: isoDate.nullable().optional(),
  maxUses: z.number().int().min(1).nullable().optional(),
  maxUsesPerCustomer: z.number().int().min(1).nullable().optional(),
  isActive: z.boolean().optional(),
})

export const couponBodySchema = couponFields.superRefine((coupon, ctx) => {
  if (coupon.kind === 'percent' && coupon.value > 100) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: 'A percentage is at most 100' })
  }
  if (coupon.kind === 'fixed' && !coupon.currency) {
    ctx.addIssue({ code: 'custom', path: ['currency'], message: 'A fixed discount needs its currency' })
  }
  if (coupon.startsAt && coupon.endsAt && coupon.endsAt <= coupon.startsAt) {
    ctx.addIssue({ code: 'custom', path: ['endsAt'], message: 'The end must be after the start' })
  }
})
export type CouponBody = z.input<typeof couponBodySchema>

/** A change to a coupon: any of its fields; the service checks the result as a whole. */
export const couponUpdateSchema = couponFields.partial()

