import { stockReserved } from '../../../events/inventory.js';
import { handler } from '../../runtime/definition.js';
import { execute } from '../execute.js';
import { settings } from '../settings.js';

/** Step 2 -> 3: the order's stock is reserved, so Billing is asked for its invoice (invoice-requested). */
export default handler({
  event: stockReserved,
  handle: async (event, ctx) => {
    await execute(
      ctx.tx,
      { type: 'record-reservation', orderId: event.data.orderId, lines: event.data.lines, stepTimeoutSeconds: settings.sagaStepTimeoutSeconds() },
      ctx.now(),
      { correlationId: ctx.correlationId, causationId: event.id },
    );
  },
});
