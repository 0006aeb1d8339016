import type { Jobs } from '../../lib/jobs.js';
import { processWebhookEvent, sweepUnprocessed, WEBHOOK_JOB } from '../payments/inbox.js';
import { deliverSandboxEvent, SANDBOX_DELIVERY_JOB } from '../payments/sandbox-gateway.js';
import type { SandboxEventBody } from '../../adapters/payments/sandbox.js';
import type { Commerce } from './context.js';
import { RECEIPTS_JOB, sendDueReceipts } from './receipts.js';
import { expirePendingOrders, fulfilWaitingOrders } from './sweeps.js';

const FULFIL_WAITING_JOB = 'orders.fulfil-waiting';
const MINUTELY_JOB = 'commerce.minutely';

/** The commerce queues: webhook processing, sandbox deliveries, receipts, and the minutely sweeps. */
export function defineCommerceJobs(jobs: Jobs, commerce: Commerce) {
  jobs.define<{ id: string }>({ name: WEBHOOK_JOB, concurrency: 6, retryLimit: 8, retryDelay: 1, expireInSeconds: 30, handle: ({ id }) => processWebhookEvent(commerce, id) });
  // Like a real gateway: retry failed deliveries with growing pauses for about an hour.
  jobs.define<{ body: SandboxEventBody }>({ name: SANDBOX_DELIVERY_JOB, concurrency: 2, retryLimit: 10, retryDelay: 2, handle: ({ body }) => deliverSandboxEvent(commerce, body) });
  jobs.define<object>({ name: RECEIPTS_JOB, retryLimit: 6, retryDelay: 10, handle: async () => void (await sendDueReceipts(commerce)) });
  jobs.define<object>({ name: FULFIL_WAITING_JOB, retryLimit: 3, handle: async () => void (await fulfilWaitingOrders(commerce)) });
  jobs.define<object>({
    name: MINUTELY_JOB,
    retryLimit: 0,
    handle: async () => {
      await expirePendingOrders(commerce);
      await fulfilWaitingOrders(commerce);
      await sweepUnprocessed(commerce);
      await sendDueReceipts(commerce);
    },
  });
  commerce.live.onRelease((name) => {
    if (name === 'licensing') void jobs.send(FULFIL_WAITING_JOB, {}, { singletonKey: 'fulfil-waiting' }).catch((error: unknown) => commerce.log('fulfil-waiting not queued', error));
  });
  return {
    /** After the queue starts: the minutely sweeps, and at once whatever a previous process left half-done. */
    async schedule() {
      await jobs.schedule(MINUTELY_JOB, '* * * * *');
      await sweepUnprocessed(commerce, 0);
      await jobs.send(FULFIL_WAITING_JOB, {}, { singletonKey: 'fulfil-waiting' });
    },
  };
}
