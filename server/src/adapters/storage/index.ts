import type { Env } from '../../env.js';
import { localStorage } from './local.js';
import { s3Storage } from './s3.js';
import type { Storage } from './types.js';

export { contentDisposition } from './content-disposition.js';
export { localStorage } from './local.js';
export { s3Storage, type S3Settings } from './s3.js';
export * from './types.js';

/** The storage the settings choose: STORAGE_DRIVER=local (STORAGE_DIR) or s3 (S3_*). */
export function createStorage(env: Env): Storage {
  if (env.STORAGE_DRIVER === 's3') {
    return s3Storage({
      bucket: env.S3_BUCKET!,
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
    });
  }
  return localStorage(env.STORAGE_DIR);
}
