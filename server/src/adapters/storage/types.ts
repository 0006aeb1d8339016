import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';

/** What `put` learned about the bytes on the way through. */
export interface StoredObject {
  size: number;
  /** Hex SHA-256 of the stored bytes. */
  sha256: string;
}

export interface ObjectInfo {
  size: number;
  lastModified: Date | null;
  contentType: string | null;
}

/** Inclusive byte offsets, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** Refuse (and leave nothing stored) once more than this many bytes have arrived. */
  maxBytes?: number;
  contentType?: string;
}

/**
 * Files by key. Keys are relative paths of safe segments (`products/prd_x/src_y/app.zip`); every
 * method validates them. `put` never buffers the whole body: bytes are hashed and counted as they
 * pass to disk or to S3, and a body that fails half-way leaves nothing behind under the key.
 */
export interface Storage {
  readonly driver: 'local' | 's3';
  put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject>;
  /** Size and dates of a stored object, or null when there is none. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** The object's bytes (or an inclusive range of them); rejects with ObjectNotFoundError. */
  createReadStream(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Opens a stored file for serving (local only): its size and dates as of the open, and reads through the one
   * handle, so a file replaced meanwhile cannot mix with the headers. Rejects with ObjectNotFoundError. The caller
   * must end with `close()`.
   */
  openFile?(key: string): Promise<OpenedFile>;
  /** A short-lived URL that downloads the object directly from the store (S3 only). */
  signedUrl?(key: string, ttlSeconds: number, fileName: string): Promise<string>;
  close(): Promise<void>;
}

/** A file held open for serving (see Storage.openFile). */
export interface OpenedFile {
  size: number;
  lastModified: Date;
  /** Changes whenever the file is replaced or rewritten: size, modification time and inode. */
  version: string;
  /** Reads up to `length` bytes at `position` into `buffer` (from its start); resolves with the bytes read. */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  /** Closes the handle; again is harmless. */
  close(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(key: string) {
    super(`No stored object ${key}`);
  }
}

/** The body went past `maxBytes`; nothing was kept. */
export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than ${maxBytes} bytes`);
  }
}

export class InvalidKeyError extends Error {}

const segment = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/** Keys are `/`-separated segments of letters, digits, `.`, `_`, `-`, none starting with a dot: no traversal, no hidden files. */
export function isValidKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024) return false;
  return key.split('/').every((part) => segment.test(part));
}

export function assertValidKey(key: string): void {
  if (!isValidKey(key)) throw new InvalidKeyError(`Invalid storage key: ${JSON.stringify(key.slice(0, 100))}`);
}

/** A file name made safe to use as one key segment (`My App (1).zip` → `My_App_1_.zip`). */
export function keySegment(fileName: string): string {
  const cleaned = fileName
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._-]+/, '')
    .slice(-120);
  return cleaned && segment.test(cleaned) ? cleaned : 'file';
}

/** A pass-through that hashes and counts, and fails once more than `maxBytes` have gone by. */
export function meter(maxBytes = Number.POSITIVE_INFINITY) {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) return callback(new ObjectTooLargeError(maxBytes));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  return { stream, result: (): StoredObject => ({ size, sha256: hash.digest('hex') }) };
}
