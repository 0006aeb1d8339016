import { randomBytes } from 'node:crypto';
import { hmacSha256, type KeyRing } from '../../lib/crypto.js';

/**
 * Characters a licence key may contain: digits and upper-case letters without the ones people
 * misread or mistype — 0/O, 1/I/L — so a key read aloud or copied from a screenshot still works.
 * 31 symbols, 16 of them: ~79 bits.
 */
export const licenseKeyAlphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

const groups = 4;
const groupLength = 4;
const keyLength = groups * groupLength;

/**
 * `length` characters drawn uniformly from `alphabet` with the system's CSPRNG. Bytes at or above
 * the largest multiple of the alphabet's size are thrown away (rejection sampling), so `byte % size`
 * favours no character.
 */
export function randomFromAlphabet(alphabet: string, length: number): string {
  const size = alphabet.length;
  if (size < 2 || size > 256) throw new Error('An alphabet has 2 to 256 characters');
  const limit = 256 - (256 % size);
  let out = '';
  while (out.length < length) {
    // Ask for a little more than needed: a few bytes are rejected on average.
    for (const byte of randomBytes(Math.ceil((length - out.length) * 1.25) + 4)) {
      if (byte >= limit) continue;
      out += alphabet[byte % size];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Upper-case, without spaces, dashes or other separators people type or paste: `abcd efgh-…` → `ABCDEFGH…`. */
export function normaliseLicenseKey(input: string): string {
  return input.toUpperCase().replace(/[\s\-_.–—]/g, '');
}

/** Whether the input, once normalised, has the shape of a licence key (16 characters of the alphabet). */
export function looksLikeLicenseKey(input: string): boolean {
  return new RegExp(`^[${licenseKeyAlphabet}]{${keyLength}}$`).test(normaliseLicenseKey(input));
}

/** `ABCDEFGHJKMNPQRS` → `ABCD-EFGH-JKMN-PQRS`. */
function formatGroups(normalised: string): string {
  return normalised.match(new RegExp(`.{1,${groupLength}}`, 'g'))?.join('-') ?? '';
}

/**
 * Licence keys: generation, the keyed look-up hash, the encrypted copy for display and the hint.
 * The database never holds the plain key (ARCHITECTURE.md "Rules that keep it simple").
 */
export class LicenseKeys {
  /** Hashes of recently seen keys: software validating over and over costs one HMAC. Bounded; cleared when full. */
  private hashes = new Map<string, string>();

  constructor(
    private readonly keyRing: KeyRing,
    private readonly hashSecret: string,
  ) {
    if (!hashSecret) throw new Error('The licence hash secret is empty');
  }

  /** A new key, `XXXX-XXXX-XXXX-XXXX`. */
  generate(): string {
    return formatGroups(randomFromAlphabet(licenseKeyAlphabet, keyLength));
  }

  /**
   * HMAC-SHA256 (hex) of the normalised key under the licence-hash secret: `abcd efgh jkmn pqrs`,
   * `ABCDEFGHJKMNPQRS` and `ABCD-EFGH-JKMN-PQRS` all find the same licence. Keyed, so a leaked table
   * cannot be searched by hashing candidate keys without the secret.
   */
  hash(key: string): string {
    let hash = this.hashes.get(key);
    if (hash === undefined) {
      hash = hmacSha256(this.hashSecret, normaliseLicenseKey(key));
      if (this.hashes.size >= 10_000) this.hashes.clear();
      this.hashes.set(key, hash);
    }
    return hash;
  }

  /** The key encrypted under the key ring (AES-256-GCM), for showing it to its owner again. */
  seal(key: string): string {
    return this.keyRing.encrypt(formatGroups(normaliseLicenseKey(key)));
  }

  open(sealed: string): string {
    return this.keyRing.decrypt(sealed);
  }

  /** The last group (`PQRS`): names a licence in lists, logs and audit events without revealing it. */
  hint(key: string): string {
    return normaliseLicenseKey(key).slice(-groupLength);
  }
}
