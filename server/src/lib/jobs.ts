import PgBoss from 'pg-boss';
import type pg from 'pg';

/** A queue: its name, its retry policy and the worker that handles one job. */
export interface JobDefinition<T extends object> {
  name: string;
  /** Attempts after the first; with backoff, delays grow from `retryDelay` seconds. */
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  /** Seconds a job may run before it counts as failed (and is retried): a crashed worker's job comes back. */
  expireInSeconds?: number;
  /** Workers polling this queue in this process. */
  concurrency?: number;
  handle(data: T): Promise<void>;
}

type LogFn = (message: string, error?: unknown) => void;

/**
 * Background jobs on pg-boss, in our own PostgreSQL (schema `pgboss`), through our pool. A job survives a
 * crash: pg-boss hands an expired active job out again. `send` wakes this process's workers at once,
 * so a job sent here does not wait for the next poll.
 */
export class Jobs {
  private readonly boss: PgBoss;
  private readonly workers = new Map<string, string[]>();
  private readonly definitions = new Map<string, JobDefinition<object>>();
  private started = false;

  constructor(pool: pg.Pool, private readonly log: LogFn) {
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => pool.query(text, values) },
      schema: 'pgboss',
      // Completed jobs are kept a day for the operator's eye, then deleted.
      deleteAfterDays: 1,
      maintenanceIntervalSeconds: 120,
    });
    this.boss.on('error', (error) => this.log('job queue error', error));
  }

  define<T extends object>(definition: JobDefinition<T>): void {
    this.definitions.set(definition.name, definition as unknown as JobDefinition<object>);
  }

  async start(): Promise<void> {
    await this.boss.start();
    for (const definition of this.definitions.values()) {
      await this.boss.createQueue(definition.name, {
        name: definition.name,
        retryLimit: definition.retryLimit ?? 5,
        retryDelay: definition.retryDelay ?? 2,
        retryBackoff: definition.retryBackoff ?? true,
        expireInSeconds: definition.expireInSeconds ?? 60,
      });
      const ids: string[] = [];
      for (let i = 0; i < (definition.concurrency ?? 1); i++) {
        let id = '';
        id = await this.boss.work<object>(definition.name, { pollingIntervalSeconds: 2, batchSize: 1 }, async ([job]) => {
          if (!job) return;
          // A worker that found work looks again at once instead of sleeping out the polling interval:
          // a backlog drains at full speed, an idle queue costs one poll per interval.
          try {
            await definition.handle(job.data);
          } finally {
            if (this.started) this.boss.notifyWorker(id);
          }
        });
        ids.push(id);
      }
      this.workers.set(definition.name, ids);
    }
    this.started = true;
  }

  /** Queue a job; `singletonKey` makes a second copy of a queued job a no-op. */
  async send(name: string, data: object, options: { singletonKey?: string; startAfter?: number } = {}): Promise<void> {
    if (!this.definitions.has(name)) throw new Error(`Unknown job ${name}`);
    await this.boss.send(name, data, options);
    this.wake(name);
  }

  async schedule(name: string, cron: string): Promise<void> {
    await this.boss.schedule(name, cron, {});
  }

  private next = 0;
  private wake(name: string) {
    const ids = this.workers.get(name);
    if (!this.started || !ids?.length) return;
    this.boss.notifyWorker(ids[this.next++ % ids.length]!);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
