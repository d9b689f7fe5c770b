import type { OrderRebuilt } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/order/rebuild-projections.json' with { type: 'json' };
import { command } from '../../runtime/definition.js';
import { fold, type Order } from '../order.js';
import { orderStreams, ordersView } from '../store.js';
import responseSchema from '../../../schemas/order/rebuilt.json' with { type: 'json' };

// Streams per round: one round's reads and its one upsert stay bounded however many orders there are.
const BATCH = 200;

/**
 * Rebuilds orders_view from the streams: every order folded again from its events and written
 * over its row, and rows without a stream removed. Each round is one statement, so no
 * transaction is held for the whole rebuild; a row is never put back to an older version than
 * an append beside it wrote (see ordersView.save), so it is safe while orders keep changing.
 */
export default command<Record<string, never>, Record<string, string>, Record<string, string>, Answer<OrderRebuilt>>({
  route: 'POST /orders/projections/rebuild',
  access: ['admin'],
  response: responseSchema,
  body: schema,
  handle: async (_input, ctx) => {
    let after: string | null = null;
    let orders = 0;
    for (;;) {
      const ids = await orderStreams.ids(ctx.db, after, BATCH);
      if (ids.length === 0) break;
      const streams = await orderStreams.loadMany(ctx.db, ids);
      const folded = [...streams.values()].map(fold).filter((order): order is Order => order !== undefined);
      await ordersView.save(ctx.db, folded);
      orders += folded.length;
      after = ids[ids.length - 1] ?? null;
    }
    const removed = await ordersView.removeOrphans(ctx.db);
    ctx.log.info('order projections rebuilt', { orders, removed });
    return { orders, removed };
  },
});
