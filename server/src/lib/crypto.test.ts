import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256, KeyRing, safeEqual, sha256 } from './crypto.js';

const key = () => randomBytes(32).toString('base64');

describe('KeyRing', () => {
  it('decrypts what it encrypted, including unicode and the empty string', () => {
    const ring = new KeyRing(KeyRing.generateEntry('k1'));
    for (const plain of ['sk_live_123', 'ünïcødé ✓ 🔑', '', 'x'.repeat(10_000)]) {
      const sealed = ring.encrypt(plain);
      expect(sealed.startsWith('k1.')).toBe(true);
      expect(sealed).not.toContain(plain || '\u0000');
      expect(ring.decrypt(sealed)).toBe(plain);
    }
  });

  it('produces a different ciphertext each time for the same plaintext', () => {
    const ring = new KeyRing(KeyRing.generateEntry('k1'));
    const sealed = Array.from({ length: 20 }, () => ring.encrypt('same secret'));
    expect(new Set(sealed).size).toBe(20);
    expect(new Set(sealed.map((s) => s.split('.')[1])).size).toBe(20);
    for (const s of sealed) expect(ring.decrypt(s)).toBe('same secret');
  });

  it('after rotation encrypts under the new key, still decrypts the old, and flags old ciphertexts as stale', () => {
    const k1 = `k1:${key()}`;
    const k2 = `k2:${key()}`;
    const before = new KeyRing(k1);
    const oldSealed = before.encrypt('issued before rotation');
    expect(before.isStale(oldSealed)).toBe(false);

    const after = new KeyRing(`${k2}, ${k1}`);
    expect(after.decrypt(oldSealed)).toBe('issued before rotation');
    expect(after.isStale(oldSealed)).toBe(true);

    const newSealed = after.encrypt('issued after rotation');
    expect(newSealed.startsWith('k2.')).toBe(true);
    expect(after.isStale(newSealed)).toBe(false);
    expect(after.decrypt(newSealed)).toBe('issued after rotation');

    // Re-encrypting a stale value moves it to the current key.
    const rotated = after.encrypt(after.decrypt(oldSealed));
    expect(after.isStale(rotated)).toBe(false);

    // The old ring alone cannot read what the new key sealed.
    expect(() => before.decrypt(newSealed)).toThrow(/Unknown key/);
  });

  it('does not read ciphertexts of a key with the same id but different material', () => {
    const sealed = new KeyRing(`k1:${key()}`).encrypt('secret');
    expect(() => new KeyRing(`k1:${key()}`).decrypt(sealed)).toThrow();
  });

  it('rejects tampered ciphertexts', () => {
    const ring = new KeyRing(KeyRing.generateEntry('k1'));
    const sealed = ring.encrypt('transfer 10 EUR');
    const [id, iv, tag, data] = sealed.split('.') as [string, string, string, string];
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64url');
    };
    expect(() => ring.decrypt([id, iv, tag, flip(data)].join('.'))).toThrow();
    expect(() => ring.decrypt([id, iv, flip(tag), data].join('.'))).toThrow();
    expect(() => ring.decrypt([id, flip(iv), tag, data].join('.'))).toThrow();
    expect(() => ring.decrypt([id, iv, tag, data.slice(0, -2)].join('.'))).toThrow();
    expect(() => ring.decrypt(['k9', iv, tag, data].join('.'))).toThrow(/Unknown key/);
    expect(() => ring.decrypt([id, iv, tag].join('.'))).toThrow(/malformed/);
    expect(() => ring.decrypt('')).toThrow();
    expect(() => ring.decrypt('garbage')).toThrow();
  });

  it.each([
    ['an empty spec', ''],
    ['only commas and spaces', ' , ,'],
    ['a key without an id', `:${key()}`],
    ['a key without material', 'k1'],
    ['a 16-byte key', `k1:${randomBytes(16).toString('base64')}`],
    ['a 64-byte key', `k1:${randomBytes(64).toString('base64')}`],
    ['an id with a dot (it would break the format)', `k.1:${key()}`],
    ['a bad second entry', `k1:${key()},k2:short`],
  ])('refuses %s', (_label, spec) => {
    expect(() => new KeyRing(spec)).toThrow(/APP_KEYS/);
  });

  it('generates entries that it accepts', () => {
    const entry = KeyRing.generateEntry('prod_2025');
    expect(entry).toMatch(/^prod_2025:[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(entry.split(':')[1]!, 'base64')).toHaveLength(32);
    expect(() => new KeyRing(entry)).not.toThrow();
    expect(KeyRing.generateEntry()).toMatch(/^k1:/);
    expect(KeyRing.generateEntry()).not.toBe(KeyRing.generateEntry());
  });
});

describe('hashing helpers', () => {
  it('sha256 matches known vectors', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(Buffer.from('abc'))).toBe(sha256('abc'));
  });

  it('hmacSha256 matches RFC 4231 test case 2 and depends on the secret', () => {
    expect(hmacSha256('Jefe', 'what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(hmacSha256('a', 'payload')).not.toBe(hmacSha256('b', 'payload'));
    expect(hmacSha256(Buffer.from('k'), 'm')).toBe(createHmac('sha256', 'k').update('m').digest('hex'));
    expect(hmacSha256('k', 'm')).not.toBe(createHash('sha256').update('m').digest('hex'));
  });

  it('safeEqual compares by value, including different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('', '')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('abcd', 'abc')).toBe(false);
    expect(safeEqual('', 'a')).toBe(false);
    // Same number of characters, different byte lengths.
    expect(safeEqual('é', 'e')).toBe(false);
  });
});
