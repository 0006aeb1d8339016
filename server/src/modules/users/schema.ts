import { adminUserUpdateSchema, roleSchema } from '@mintreu/contracts';
import { z } from 'zod';

export const role = roleSchema;

export const adminUser = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  role,
  emailVerified: z.boolean(),
  banned: z.boolean(),
  banReason: z.string().nullable(),
  createdAt: z.date(),
});

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  perPage: z.coerce.number().int().min(1).max(100).default(20),
};

export const listUsersQuery = z.object({
  search: z.string().trim().max(200).optional(),
  role: role.optional(),
  ...pageQuery,
});

export const updateUserBody = adminUserUpdateSchema
  .strict()
  .refine((body) => body.role !== undefined || body.banned !== undefined, { message: 'Change the role or the ban' });

export const listMeta = z.object({ page: z.number(), perPage: z.number(), total: z.number() });
