import type { OrderOrder } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { maySee } from '../access.js';
import { ordersView } from '../store.js';
import responseSchema from '../../../schemas/order/order.json' with { type: 'json' };

/** The order from its projection: status, items, total, invoice, history and the saga's step. */
export default query<Record<string, string>, { id: string }, Answer<OrderOrder>>({
  route: 'GET /orders/{id}',
  access: ['admin', 'customer'],
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const order = await ordersView.find(ctx.db, params.id);
    // Another customer's order is answered as if it did not exist.
    if (!order || !maySee(ctx.caller, order.customerId)) throw new NotFound(`order ${params.id} does not exist`);
    return order;
  },
});
