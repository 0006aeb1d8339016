import { z } from 'zod';
import { killSwitchNames } from '../../lib/live-config.js';

export const reason = z.string().trim().min(3, 'Give a reason of at least 3 characters').max(500);

export const killSwitch = z.object({
  name: z.enum(killSwitchNames),
  engaged: z.boolean(),
  reason: z.string().nullable(),
  updatedAt: z.date(),
  updatedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
});

export const setKillSwitchBody = z.strictObject({ engaged: z.boolean(), reason });

export const flagKey = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'Use lower-case letters, digits, dots, dashes and underscores');

export const flag = z.object({
  key: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  rollout: z.number().int().nullable(),
  updatedAt: z.date(),
});

export const setFlagBody = z.strictObject({
  enabled: z.boolean(),
  rollout: z.number().int().min(0).max(100).nullable().optional(),
  description: z.string().trim().max(500).optional(),
  reason,
});

export const statusResponse = z.object({
  killSwitches: z.record(z.enum(killSwitchNames), z.boolean()),
  version: z.string(),
});
