import { sourceProviderSchema } from '@mintreu/contracts';
import { z } from 'zod';

/** A source as anyone may see it. The source URL and token are write-only and never in a response. */
export const source = z.object({
  id: z.string(),
  provider: sourceProviderSchema,
  name: z.string(),
  description: z.string().nullable(),
  version: z.string().nullable(),
  fileName: z.string().nullable(),
  fileSize: z.number().nullable(),
  sha256: z.string().nullable(),
  isPrimary: z.boolean(),
  isActive: z.boolean(),
  lastVerifiedAt: z.date().nullable(),
});

export const adminSource = source.extend({
  /** Why the last verification failed; null after a success. */
  lastVerifyError: z.string().nullable(),
  /** Whether a provider token is stored (the token itself is never returned). */
  hasToken: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const sourceList = z.object({ data: z.array(source) });
export const adminSourceList = z.object({ data: z.array(adminSource) });

/** What a downloaded file is called: one name, no path, no control characters. */
const fileName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[^/\\\p{Cc}]+$/u, 'A file name, without slashes or control characters')
  .refine((v) => v !== '.' && v !== '..', 'A file name, without slashes or control characters');

const metadata = z
  .record(z.string().max(100), z.unknown(), { error: 'Must be a JSON object' })
  .refine((v) => JSON.stringify(v).length <= 10_000, 'Keep metadata under 10,000 characters of JSON');

const fields = {
  provider: sourceProviderSchema,
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(2000).nullable(),
  /** A storage key (local, s3), or an http(s) URL (direct_url) or repository URL (github, gitlab). Write-only. */
  sourceUrl: z.string().trim().min(1).max(2048),
  /** A GitHub/GitLab token with read access; stored encrypted, never returned. */
  token: z.string().trim().min(1).max(4096),
  version: z.string().trim().min(1).max(100).nullable(),
  fileName: fileName.nullable(),
  fileSize: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
  isPrimary: z.boolean(),
  isActive: z.boolean(),
  metadata,
};

export const createSourceBody = z
  .strictObject({
    provider: fields.provider,
    name: fields.name,
    description: fields.description.optional(),
    sourceUrl: fields.sourceUrl,
    token: fields.token.optional(),
    version: fields.version.optional(),
    fileName: fields.fileName.optional(),
    fileSize: fields.fileSize.optional(),
    isPrimary: fields.isPrimary.optional().describe('Default: true when the product has no primary source yet'),
    isActive: fields.isActive.optional(),
    metadata: fields.metadata.optional(),
  })
  .meta({
    examples: [
      { provider: 'github', name: 'Windows x64', sourceUrl: 'https://github.com/acme/tool/releases/tag/v2.1.0', token: '<read-only token>', fileName: 'tool-win-x64.zip' },
      { provider: 'local', name: 'Main release', sourceUrl: 'products/prd_x/src_y/tool.zip' },
    ],
  });

export const updateSourceBody = z
  .strictObject({
    provider: fields.provider.optional(),
    name: fields.name.optional(),
    description: fields.description.optional(),
    sourceUrl: fields.sourceUrl.optional(),
    token: fields.token.nullable().optional().describe('A new token, or null to remove the stored one'),
    version: fields.version.optional(),
    fileName: fields.fileName.optional(),
    fileSize: fields.fileSize.optional(),
    isPrimary: fields.isPrimary.optional(),
    isActive: fields.isActive.optional(),
    metadata: fields.metadata.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'Change at least one field');

export type CreateSourceInput = z.infer<typeof createSourceBody>;
export type UpdateSourceInput = z.infer<typeof updateSourceBody>;

const formBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The text fields that come with an uploaded file (multipart fields are strings). */
export const uploadFields = z.strictObject({
  name: fields.name,
  description: fields.description.optional(),
  version: fields.version.optional(),
  isPrimary: formBoolean.optional(),
  isActive: formBoolean.optional(),
});
export type UploadFields = z.infer<typeof uploadFields>;

/**
 * A multipart body's schema for the OpenAPI document. The handler streams and checks the parts
 * itself (the body is never parsed into `request.body`), so validation here accepts anything.
 */
export function multipartDoc(form: z.ZodObject) {
  const { $schema: _schema, ...json } = z.toJSONSchema(form, { io: 'input' });
  return z.unknown().meta(json);
}

export const uploadForm = multipartDoc(
  z.object({
    file: z.string().meta({ format: 'binary', description: 'The file; streamed to storage, hashed on the way' }),
    name: fields.name,
    description: z.string().optional(),
    version: z.string().optional(),
    isPrimary: z.enum(['true', 'false']).optional(),
    isActive: z.enum(['true', 'false']).optional(),
  }),
);

export const productParams = z.object({ id: z.string().min(1).max(64) });
export const sourceParams = productParams.extend({ sourceId: z.string().min(1).max(64) });
