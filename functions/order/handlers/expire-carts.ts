import { scheduled } from '../../runtime/definition.js';
import { expire } from '../cart.js';
import { carts } from '../store.js';

// One run's transaction stays bounded after a long outage; the rest waits for the next run.
const BATCH = 500;

/** Every open cart left alone past its time to live (CART_TTL) becomes expired, with cart-expired. */
export default scheduled({
  schedule: { cron: '* * * * *', env: 'CART_EXPIRY_SCHEDULE' },
  handle: async (_ping, ctx) => {
    const now = ctx.now();
    const due = await carts.expired(ctx.tx, now, BATCH);
    for (const cart of due) {
      const [expired, events] = expire(cart, now);
      await carts.update(ctx.tx, expired, cart.version);
      await ctx.tx.emit(...events);
    }
    if (due.length > 0) ctx.log.info('carts expired', { count: due.length, more: due.length === BATCH });
  },
});
