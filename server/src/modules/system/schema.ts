import { changeReasonSchema, flagKeySchema, flagUpdateSchema, killSwitchUpdateSchema } from '@mintreu/contracts';
import { z } from 'zod';
import { killSwitchNames } from '../../lib/live-config.js';

export const reason = changeReasonSchema;

export const killSwitch = z.object({
  name: z.enum(killSwitchNames),
  engaged: z.boolean(),
  reason: z.string().nullable(),
  updatedAt: z.date(),
  updatedBy: z.object({ id: z.string(), name: z.string() }).nullable(),
});

// The web forms' schemas, strict here: unknown fields are refused, never stored.
export const setKillSwitchBody = killSwitchUpdateSchema.strict();

export const flagKey = flagKeySchema;

export const flag = z.object({
  key: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  rollout: z.number().int().nullable(),
  updatedAt: z.date(),
});

export const setFlagBody = flagUpdateSchema.strict();

export const statusResponse = z.object({
  killSwitches: z.record(z.enum(killSwitchNames), z.boolean()),
  version: z.string(),
});
