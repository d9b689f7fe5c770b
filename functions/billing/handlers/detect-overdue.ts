import { scheduled } from '../../runtime/definition.js';
import { isoDate, markOverdue } from '../invoice.js';
import { invoices } from '../store.js';

// One run's transaction stays bounded after a long outage; the rest waits for the next run.
const BATCH = 1000;

/** Every sent invoice due before today (UTC) becomes overdue. */
export default scheduled({
  schedule: { cron: '*/15 * * * *', env: 'OVERDUE_SCHEDULE' },
  handle: async (_ping, ctx) => {
    const now = ctx.now();
    const due = await invoices.sentDueBefore(ctx.tx, isoDate(now), BATCH);
    for (const invoice of due) {
      const [overdue, events] = markOverdue(invoice, now);
      await invoices.update(ctx.tx, overdue, invoice.version);
      await ctx.tx.emit(...events);
    }
    if (due.length > 0) ctx.log.info('invoices became overdue', { count: due.length, more: due.length === BATCH });
  },
});
