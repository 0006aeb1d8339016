/**
 * Work started right away in this process, a few at a time, after the request that caused it has been
 * answered. It is the fast path only: whatever it does must be safe to do again, and its caller hands the
 * work to the job queue (retries, other instances, crash recovery) when it fails or when too much is waiting.
 */
export class LocalWork {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  constructor(private readonly concurrency: number, private readonly maxWaiting: number) {}

  /** False when the backlog is full or the process is stopping: queue the work elsewhere instead. */
  tryRun(task: () => Promise<void>, onError: (error: unknown) => void): boolean {
    if (this.closed || this.waiting.length >= this.maxWaiting) return false;
    const start = () => {
      this.running++;
      task().catch(onError).finally(() => {
        this.running--;
        this.waiting.shift()?.();
      });
    };
    if (this.running < this.concurrency) start();
    else this.waiting.push(start);
    return true;
  }

  /** Stops taking work; what is waiting is dropped (its callers' durable records let the queue pick it up). */
  close() {
    this.closed = true;
    this.waiting.length = 0;
  }
}
