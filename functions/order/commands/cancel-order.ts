import schema from '../../../schemas/order/cancel-order.json' with { type: 'json' };
import type { OrderCancelOrder, OrderOrder } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { actorOf, callerOf, checkIfMatch, maySee } from '../access.js';
import { execute } from '../execute.js';
import { orderView } from '../order.js';
import responseSchema from '../../../schemas/order/order.json' with { type: 'json' };

/**
 * The customer's or an admin's cancel: pending, confirmed or processing -> cancelled, with
 * order-cancelled naming the steps done, which the other contexts compensate. Once shipped 409.
 */
export default command<OrderCancelOrder, { id: string }, Record<string, string>, Answer<OrderOrder>>({
  route: 'POST /orders/{id}/cancel',
  access: ['admin', 'customer'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const caller = callerOf(ctx.caller);
      const { order } = await execute(
        tx,
        { type: 'cancel', orderId: params.id, by: caller.role, ...(body.reason === undefined ? {} : { reason: body.reason }) },
        ctx.now(),
        { correlationId: ctx.correlationId, actor: actorOf(caller) },
        (current) => {
          if (!current || !maySee(caller, current.customerId)) throw new NotFound(`order ${params.id} does not exist`);
          checkIfMatch(current, ifMatch);
        },
      );
      if (!order) throw new NotFound(`order ${params.id} does not exist`);
      return orderView(order);
    }),
});
