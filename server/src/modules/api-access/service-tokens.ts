import { and, eq, isNull } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { sha256 } from '../../lib/crypto.js';
import { AppError } from '../../lib/errors.js';
import { apiServiceTokens } from './tables.js';

/** What `POST /api/keys/verify` knows of the service token that called it. */
export interface ServiceTokenEntry { id: string; productId: string | null }

interface Entry { token: ServiceTokenEntry | null; storedAt: number }

const tokenPattern = /^mst_[0-9A-Za-z]{43}$/;

/**
 * Service tokens by hash, so a verify call reads no database for a known token. A revoke is committed with a NOTIFY
 * on API_KEY_CHANNEL (payload `+service_token:<id>`, see events.ts); every instance drops the token when it hears it,
 * so a revoked token stops everywhere within a second. A load that was in flight when a token was forgotten is not
 * kept (it may have read the token before the revoke). The TTL bounds a missed notification; a lost LISTEN
 * connection clears everything.
 */
export class ServiceTokenCache {
  private entries = new Map<string, Entry>();
  private epoch = 0;

  constructor(private readonly db: DbOrTx, private readonly options: { ttlMs: number; negativeTtlMs: number; maxEntries: number }) {}

  /** The token of `Authorization: Bearer mst_…`; 401 UNAUTHENTICATED when it is missing, unknown or revoked. */
  async authenticate(authorization: string | undefined, now = Date.now()): Promise<ServiceTokenEntry> {
    const presented = authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : '';
    if (!tokenPattern.test(presented)) throw new AppError('UNAUTHENTICATED', 'A service token is required: Authorization: Bearer mst_…');
    const hash = sha256(presented);
    const entry = this.entries.get(hash);
    let token: ServiceTokenEntry | null;
    if (entry && now - entry.storedAt < (entry.token ? this.options.ttlMs : this.options.negativeTtlMs)) {
      token = entry.token;
    } else {
      const epoch = this.epoch;
      const [row] = await this.db.select({ id: apiServiceTokens.id, productId: apiServiceTokens.productId }).from(apiServiceTokens)
        .where(and(eq(apiServiceTokens.tokenHash, hash), isNull(apiServiceTokens.revokedAt)));
      token = row ?? null;
      if (epoch === this.epoch) this.store(hash, token, now);
      if (row) void this.db.update(apiServiceTokens).set({ lastUsedAt: new Date() }).where(eq(apiServiceTokens.id, row.id)).catch(() => {});
    }
    if (!token) throw new AppError('UNAUTHENTICATED', 'Unknown or revoked service token');
    return token;
  }

  /** A token was revoked (here or on another instance): drop it. */
  forget(id: string): void {
    this.epoch++;
    for (const [hash, entry] of this.entries) if (entry.token?.id === id) this.entries.delete(hash);
  }

  clear(): void {
    this.epoch++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private store(hash: string, token: ServiceTokenEntry | null, now: number) {
    if (this.entries.size >= this.options.maxEntries) this.entries.clear();
    this.entries.set(hash, { token, storedAt: now });
  }
}
