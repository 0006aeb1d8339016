import { and, eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { addDownloads } from '../catalog/products.js';
import { downloadTokens } from './tables.js';

/**
 * Rolls the links first used since the last run into their products' `downloads` counters, in one transaction:
 * the links are marked counted and the counters raised together, so a crash loses nothing and counts nothing
 * twice, and two instances running it at once skip each other's rows (the second waits on the row locks, then
 * finds them counted). Requests never touch the product row: a popular product is no hot row.
 */
export async function rollUpDownloadCounts(db: Db, batch = 5000): Promise<number> {
  return db.transaction(async (tx) => {
    const claimed = await tx
      .select({ id: downloadTokens.id, productId: downloadTokens.productId })
      .from(downloadTokens)
      .where(and(isNotNull(downloadTokens.firstUsedAt), eq(downloadTokens.counted, false)))
      .limit(batch)
      .for('update', { skipLocked: true });
    if (claimed.length === 0) return 0;
    await tx.update(downloadTokens).set({ counted: true })
      .where(sql`${downloadTokens.id} in (${sql.join(claimed.map((c) => sql`${c.id}`), sql`, `)})`);
    const counts = new Map<string, number>();
    for (const row of claimed) counts.set(row.productId, (counts.get(row.productId) ?? 0) + 1);
    await addDownloads(tx, counts);
    return claimed.length;
  });
}

/**
 * Runs the roll-up shortly after downloads start (at most once per `delayMs`), and on close. One timer, no
 * work while nobody downloads.
 */
export class DownloadCounter {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly delayMs: number,
    private readonly log: (message: string, error?: unknown) => void,
  ) {}

  /** A link was used for the first time: its product's counter goes up with the next roll-up. */
  touch(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.delayMs);
    this.timer.unref();
  }

  flush(): Promise<unknown> {
    this.running = this.running.then(async () => {
      try {
        while ((await rollUpDownloadCounts(this.db)) > 0) { /* until nothing is left */ }
      } catch (error) {
        this.log('download counters: roll-up failed; the next one retries', error);
      }
    });
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
