import { stockReservationFailed } from '../../../events/inventory.js';
import { handler } from '../../runtime/definition.js';
import { execute } from '../execute.js';

/** Step 2 failed: the order is cancelled, its reason naming each product short of stock. */
export default handler({
  event: stockReservationFailed,
  handle: async (event, ctx) => {
    await execute(ctx.tx, { type: 'record-reservation-failure', orderId: event.data.orderId, products: event.data.products }, ctx.now(), {
      correlationId: ctx.correlationId,
      causationId: event.id,
    });
  },
});
