import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const sha256 = (input: string | Buffer) => createHash('sha256').update(input).digest('hex');
export const hmacSha256 = (secret: string | Buffer, input: string | Buffer) =>
  createHmac('sha256', secret).update(input).digest('hex');

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * AES-256-GCM under a rotating key ring. `APP_KEYS` = "k2:base64,k1:base64": the first key encrypts,
 * every key decrypts, so a new key can be put in front and old ciphertexts re-encrypted at leisure.
 * Ciphertext format: `<keyId>.<iv b64url>.<tag b64url>.<data b64url>`.
 */
export class KeyRing {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  constructor(spec: string) {
    const entries = spec.split(',').map((part) => part.trim()).filter(Boolean);
    if (entries.length === 0) throw new Error('APP_KEYS is empty');
    for (const entry of entries) {
      const [id, material] = entry.split(':');
      const key = Buffer.from(material ?? '', 'base64');
      if (!id || !/^[a-z0-9_-]+$/i.test(id) || key.length !== 32) {
        throw new Error('APP_KEYS entries must be "id:<32 bytes in base64>"');
      }
      this.keys.set(id, key);
    }
    this.currentId = entries[0]!.split(':')[0]!;
  }

  static generateEntry(id = 'k1'): string {
    return `${id}:${randomBytes(32).toString('base64')}`;
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [this.currentId, iv, cipher.getAuthTag(), data]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  decrypt(sealed: string): string {
    const [id, iv, tag, data] = sealed.split('.');
    const key = id ? this.keys.get(id) : undefined;
    if (!key || !iv || !tag || data === undefined) throw new Error('Unknown key or malformed ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Whether a ciphertext was sealed under an older key and should be re-encrypted. */
  isStale(sealed: string): boolean {
    return !sealed.startsWith(`${this.currentId}.`);
  }
}
