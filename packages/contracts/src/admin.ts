// Admin-panel contracts shared by the Fastify API (request validation) and the web (forms).
// Self-contained on purpose: it imports nothing but zod and the vocabulary.
import { z } from './zod.js'
import { killSwitchNames, roles } from './vocab.js'

export { killSwitchNames, roles } from './vocab.js'
export type { KillSwitchName, Role } from './vocab.js'

export const roleSchema = z.enum(roles)
export const killSwitchNameSchema = z.enum(killSwitchNames)

/** Why an admin made a change; stored on the audit event. */
export const changeReasonSchema = z
  .string()
  .trim()
  .min(3, 'Give a reason of at least 3 characters')
  .max(500, 'Keep the reason under 500 characters')

export const killSwitchUpdateSchema = z.object({
  engaged: z.boolean(),
  reason: changeReasonSchema,
})
export type KillSwitchUpdate = z.infer<typeof killSwitchUpdateSchema>

export const flagKeySchema = z
  .string()
  .trim()
  .min(1, 'Key is required')
  .max(100, 'Keep the key under 100 characters')
  .regex(/^[a-z0-9._-]+$/, 'Use lower-case letters, digits, dots, dashes and underscores')

export const flagRolloutSchema = z.number().int().min(0).max(100).nullable()

export const flagUpdateSchema = z.object({
  enabled: z.boolean(),
  rollout: flagRolloutSchema.optional(),
  description: z.string().max(500).optional(),
  reason: changeReasonSchema,
})
export type FlagUpdate = z.infer<typeof flagUpdateSchema>

export const adminUserUpdateSchema = z.object({
  role: roleSchema.optional(),
  banned: z.boolean().optional(),
  banReason: z.string().max(500).optional(),
  reason: changeReasonSchema,
})
export type AdminUserUpdate = z.infer<typeof adminUserUpdateSchema>
