import { randomUUID } from 'node:crypto';
import type { LeaseClaims } from '@mintreu/contracts';
import { desc, gt, isNull, or } from 'drizzle-orm';
import { exportJWK, exportPKCS8, generateKeyPair, importPKCS8, SignJWT, type CryptoKey } from 'jose';
import type { Db, DbOrTx } from '../../db/client.js';
import type { KeyRing } from '../../lib/crypto.js';
import { leaseSigningKeys } from './tables.js';

export const LEASE_ALG = 'EdDSA';

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
  alg: string;
  use: string;
}

interface SigningKey {
  kid: string;
  key: CryptoKey;
}

/**
 * Signs leases: short-lived EdDSA (Ed25519) JWTs that tell installed software what its licence allows, so it
 * keeps working offline until the lease expires. Every instance signs with the same current key (kept in the
 * database, the private half sealed under the key ring); a rotation retires it, and the retired key stays in
 * the published key set until the longest lease it can have signed has expired.
 */
export class LeaseSigner {
  private current: SigningKey | null = null;
  private published: PublicJwk[] = [];

  constructor(
    private readonly db: Db,
    private readonly keyRing: KeyRing,
    private readonly issuer: string,
    /** How long a lease lasts (seconds). Also how long a retired key stays published. */
    readonly ttlSeconds: number,
  ) {}

  /** Loads the keys, creating the first signing key if there is none. Call again after a rotation anywhere. */
  async load(): Promise<void> {
    let rows = await this.usableKeys();
    if (!rows.some((row) => row.retiredAt === null)) {
      await createSigningKey(this.db, this.keyRing);
      rows = await this.usableKeys();
    }
    const currentRow = rows.find((row) => row.retiredAt === null)!;
    this.current = { kid: currentRow.kid, key: await importPKCS8(this.keyRing.decrypt(currentRow.privateKeySealed), LEASE_ALG) };
    this.published = rows.map((row) => row.publicJwk as unknown as PublicJwk);
  }

  /** The current key first, then retired keys whose leases may still be in use. */
  publicKeys(): PublicJwk[] {
    return this.published;
  }

  get currentKid(): string | null {
    return this.current?.kid ?? null;
  }

  /** A lease for these claims, expiring after the TTL or with the licence, whichever comes first. */
  async sign(claims: LeaseClaims, now = Date.now()): Promise<{ token: string; expiresAt: Date }> {
    if (!this.current) throw new Error('LeaseSigner.load() has not run');
    const issuedAt = Math.floor(now / 1000);
    let expiresAt = issuedAt + this.ttlSeconds;
    if (claims.licenseExp !== null) expiresAt = Math.min(expiresAt, claims.licenseExp);
    const token = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: LEASE_ALG, kid: this.current.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(claims.lid)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(this.current.key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  private async usableKeys() {
    const oldestUseful = new Date(Date.now() - this.ttlSeconds * 1000);
    return this.db
      .select()
      .from(leaseSigningKeys)
      .where(or(isNull(leaseSigningKeys.retiredAt), gt(leaseSigningKeys.retiredAt, oldestUseful)))
      .orderBy(desc(leaseSigningKeys.createdAt));
  }
}

/**
 * A new Ed25519 key pair, stored as the current signing key. When another instance created one at the same moment,
 * the unique index on the current key refuses the second and its key is simply not used.
 */
async function createSigningKey(db: DbOrTx, keyRing: KeyRing): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPair(LEASE_ALG, { crv: 'Ed25519', extractable: true });
  const kid = `lease_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const jwk = await exportJWK(publicKey);
  const publicJwk: PublicJwk = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, kid, alg: LEASE_ALG, use: 'sig' };
  await db
    .insert(leaseSigningKeys)
    .values({ kid, publicJwk: { ...publicJwk }, privateKeySealed: keyRing.encrypt(await exportPKCS8(privateKey)) })
    .onConflictDoNothing();
}

/**
 * Retires the current signing key and creates its successor in one transaction. Leases signed with the old
 * key stay verifiable: it remains published until they have all expired. Returns the new key id.
 */
export async function rotateLeaseKey(db: DbOrTx, keyRing: KeyRing): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.update(leaseSigningKeys).set({ retiredAt: new Date() }).where(isNull(leaseSigningKeys.retiredAt));
    await createSigningKey(tx, keyRing);
    const [row] = await tx.select({ kid: leaseSigningKeys.kid }).from(leaseSigningKeys).where(isNull(leaseSigningKeys.retiredAt));
    return row!.kid;
  });
}

export async function leaseKeyIds(db: DbOrTx): Promise<{ kid: string; retiredAt: Date | null }[]> {
  return db.select({ kid: leaseSigningKeys.kid, retiredAt: leaseSigningKeys.retiredAt }).from(leaseSigningKeys).orderBy(desc(leaseSigningKeys.createdAt));
}
