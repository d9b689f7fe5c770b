import type { OrderOrderPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/order/list-orders.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { callerOf } from '../access.js';
import { ordersView, type OrderFilter, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/order/order-page.json' with { type: 'json' };

/** A customer's own orders, or for an admin everyone's (customerId narrows), oldest first. */
export default query<OrderFilter & PageRequest, Record<string, string>, Answer<OrderOrderPage>>({
  route: 'GET /orders',
  access: ['admin', 'customer'],
  response: responseSchema,
  query: schema,
  handle: async ({ query: { limit, cursor, ...filter } }, ctx) => {
    const caller = callerOf(ctx.caller);
    // A customer naming another customer sees nothing of theirs: the filter is always their own id.
    const customerId = caller.role === 'customer' ? caller.id : filter.customerId;
    return ordersView.list(
      ctx.db,
      { ...(customerId === undefined ? {} : { customerId }), ...(filter.status === undefined ? {} : { status: filter.status }) },
      { limit, cursor },
    );
  },
});
