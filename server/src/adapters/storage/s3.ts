import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { contentDisposition } from './content-disposition.js';
import { assertValidKey, meter, ObjectNotFoundError, ObjectTooLargeError, type Storage } from './types.js';

export interface S3Settings {
  bucket: string;
  region: string;
  /** An S3-compatible endpoint (MinIO, R2, …); unset for AWS. */
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle?: boolean;
  /** Multipart part size in bytes (S3's minimum, 5 MiB, by default). Memory held per upload ≈ partSize × (queueSize + 1). */
  partSize?: number;
  queueSize?: number;
}

const isNotFound = (error: unknown) =>
  error instanceof S3ServiceException &&
  (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey');

/**
 * Objects in an S3 bucket through the official SDK. Uploads stream through `@aws-sdk/lib-storage`
 * (one PUT for small bodies, multipart beyond one part), hashed and counted on the way; a failed or
 * oversized body aborts the multipart upload, so no object appears under the key.
 */
export function s3Storage(settings: S3Settings): Storage {
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.forcePathStyle ?? false,
    credentials:
      settings.accessKeyId && settings.secretAccessKey
        ? { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey }
        : undefined,
    // Plain bodies (no aws-chunked CRC trailers), which every S3-compatible server accepts.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = settings.bucket;

  return {
    driver: 's3',

    async put(key, body, options = {}) {
      assertValidKey(key);
      const counted = meter(options.maxBytes);
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: counted.stream, ContentType: options.contentType },
        partSize: settings.partSize,
        queueSize: settings.queueSize ?? 4,
        leavePartsOnError: false,
      });
      let feedError: unknown;
      const feeding = pipeline(body, counted.stream).catch((error: unknown) => {
        feedError = error;
        throw error;
      });
      const uploading = upload.done();
      try {
        await Promise.all([feeding, uploading]);
        return counted.result();
      } catch (error) {
        // Whichever side failed, stop the other. A failed upload has aborted its multipart upload
        // (leavePartsOnError: false) by the time `uploading` settles, so wait for that.
        body.destroy();
        counted.stream.destroy(error as Error);
        await Promise.allSettled([feeding, uploading]);
        throw feedError instanceof ObjectTooLargeError ? feedError : error;
      }
    },

    async stat(key) {
      assertValidKey(key);
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: head.ContentLength ?? 0, lastModified: head.LastModified ?? null, contentType: head.ContentType ?? null };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    async createReadStream(key, range) {
      assertValidKey(key);
      if (range && (range.start < 0 || range.end < range.start)) throw new RangeError(`Invalid byte range ${range.start}-${range.end}`);
      try {
        const object = await client.send(
          new GetObjectCommand({ Bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
        );
        return object.Body as Readable;
      } catch (error) {
        if (isNotFound(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
    },

    async delete(key) {
      assertValidKey(key);
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    async signedUrl(key, ttlSeconds, fileName) {
      assertValidKey(key);
      const command = new GetObjectCommand({ Bucket, Key: key, ResponseContentDisposition: contentDisposition(fileName) });
      return getSignedUrl(client, command, { expiresIn: ttlSeconds });
    },

    async close() {
      client.destroy();
    },
  };
}
