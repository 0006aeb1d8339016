import type { ApiKeyEnvironment } from '@mintreu/contracts';
import { sha256 } from '../../lib/crypto.js';
import { randomFromAlphabet } from '../licensing/keys.js';

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 40 base-62 characters: ~238 bits, well above the 190 the contract asks for. */
const secretLength = 40;
/** Characters of the secret part kept for display: enough to tell keys apart, far too few to use one. */
const prefixSecretChars = 8;

/** `mk_live_…` / `mk_test_…` followed by the secret part. */
export const apiKeyPattern = /^mk_(live|test)_[0-9A-Za-z]{32,128}$/;

/** The stored form of a key: SHA-256 hex of the full key. A key this random needs no slow or keyed hash. */
export const hashApiKey = (key: string) => sha256(key);

/** A new API key: the plain key (shown once), its hash (stored) and its display prefix (stored). */
export function generateApiKey(environment: ApiKeyEnvironment): { key: string; hash: string; prefix: string } {
  const secret = randomFromAlphabet(base62, secretLength);
  const head = `mk_${environment}_`;
  const key = head + secret;
  return { key, hash: hashApiKey(key), prefix: head + secret.slice(0, prefixSecretChars) };
}
