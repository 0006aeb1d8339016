import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../lib/crypto.js';
import { LicenseKeys, licenseKeyAlphabet, looksLikeLicenseKey, normaliseLicenseKey, randomFromAlphabet } from './keys.js';

const keys = new LicenseKeys(new KeyRing(KeyRing.generateEntry('k1')), 'secret-for-tests');

describe('licence keys', () => {
  it('look like XXXX-XXXX-XXXX-XXXX from an alphabet without ambiguous characters', () => {
    expect(licenseKeyAlphabet).not.toMatch(/[0O1IL]/);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const key = keys.generate();
      expect(key).toMatch(new RegExp(`^[${licenseKeyAlphabet}]{4}(-[${licenseKeyAlphabet}]{4}){3}$`));
      expect(looksLikeLicenseKey(key)).toBe(true);
      seen.add(key);
    }
    expect(seen.size).toBe(500);
  });

  it('draws every character of the alphabet about equally often (no modulo bias)', () => {
    // 31 symbols: `byte % 31` without rejection would favour the first 8 by 9/8.
    const sample = randomFromAlphabet(licenseKeyAlphabet, 310_000);
    const counts = new Map<string, number>();
    for (const c of sample) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(licenseKeyAlphabet.length);
    const expected = sample.length / licenseKeyAlphabet.length; // 10 000
    // Chi-square with 30 degrees of freedom: 82 is the one-in-a-million tail (a fair source fails it that rarely).
    const chi2 = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(82);
    const first8 = [...licenseKeyAlphabet.slice(0, 8)].reduce((sum, c) => sum + counts.get(c)!, 0) / 8;
    const rest = [...licenseKeyAlphabet.slice(8)].reduce((sum, c) => sum + counts.get(c)!, 0) / 23;
    expect(first8 / rest).toBeLessThan(1.05);
  });

  it('hashes the normalised key: lower case, spaces and missing dashes find the same licence', () => {
    const key = keys.generate();
    const hash = keys.hash(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(keys.hash(key.toLowerCase())).toBe(hash);
    expect(keys.hash(key.replace(/-/g, ''))).toBe(hash);
    expect(keys.hash(` ${key.replace(/-/g, ' ').toLowerCase()} \n`)).toBe(hash);
    expect(normaliseLicenseKey('ab-cd efgh')).toBe('ABCDEFGH');
    expect(keys.hash(keys.generate())).not.toBe(hash);
    // Keyed: another secret gives another hash, so a leaked table cannot be searched without the secret.
    expect(new LicenseKeys(new KeyRing(KeyRing.generateEntry('k1')), 'another-secret').hash(key)).not.toBe(hash);
  });

  it('seals and opens a key; the ciphertext does not contain it', () => {
    const key = keys.generate();
    const sealed = keys.seal(key);
    expect(sealed).not.toContain(key);
    expect(sealed).not.toContain(key.replace(/-/g, ''));
    expect(keys.open(sealed)).toBe(key);
    expect(keys.seal(key)).not.toBe(sealed); // a fresh IV each time
    expect(keys.open(keys.seal(key.toLowerCase()))).toBe(key); // stored in its canonical form
  });

  it('hints with the last group', () => {
    expect(keys.hint('ABCD-EFGH-JKMN-PQRS')).toBe('PQRS');
    expect(keys.hint('abcdefghjkmnpqrs')).toBe('PQRS');
  });

  it('refuses an empty hash secret', () => {
    expect(() => new LicenseKeys(new KeyRing(KeyRing.generateEntry('k1')), '')).toThrow();
  });
});
