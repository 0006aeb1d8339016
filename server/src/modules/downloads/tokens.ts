import { randomBytes } from 'node:crypto';
import { sha256 } from '../../lib/crypto.js';

/** 32 random bytes, base64url: 43 characters that need no escaping in a URL. */
export function newDownloadToken(): string {
  return randomBytes(32).toString('base64url');
}

const shape = /^[A-Za-z0-9_-]{43}$/;

/** Whether a string could be one of our tokens (anything else is unknown without a look-up). */
export const isTokenShaped = (token: string) => shape.test(token);

/** Tokens are stored as their SHA-256: a leaked table cannot be replayed. */
export const hashDownloadToken = (token: string) => sha256(token);
