import { scheduled } from '../../runtime/definition.js';
import { execute } from '../execute.js';
import { orderStreams, ordersView } from '../store.js';

// One run's transaction stays bounded after a long outage; the rest waits for the next run.
const BATCH = 200;

/**
 * Cancels every order whose saga step is past its deadline (SAGA_STEP_TIMEOUT after the step
 * began), with order-cancelled naming the step. An order another transaction is changing is left
 * for the next run; each is decided again on its current stream, so an order whose step has just
 * completed is not cancelled.
 */
export default scheduled({
  schedule: { cron: '* * * * *', env: 'SAGA_SWEEP_SCHEDULE' },
  handle: async (ping, ctx) => {
    const now = ctx.now();
    const due = await ordersView.pastDeadline(ctx.tx, now, BATCH);
    let cancelled = 0;
    for (const orderId of due) {
      if (!(await orderStreams.tryLock(ctx.tx, orderId))) continue;
      const { events } = await execute(ctx.tx, { type: 'expire-step', orderId }, now, { correlationId: ctx.correlationId, causationId: ping.id });
      if (events.length > 0) cancelled += 1;
    }
    if (cancelled > 0) ctx.log.info('orders past a saga deadline cancelled', { cancelled, more: due.length === BATCH });
  },
});
