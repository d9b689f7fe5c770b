import type { OrderCart } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { ownCart } from '../access.js';
import { cartView } from '../cart.js';
import { carts } from '../store.js';
import responseSchema from '../../../schemas/order/cart.json' with { type: 'json' };

export default query<Record<string, string>, { id: string }, Answer<OrderCart>>({
  route: 'GET /orders/carts/{id}',
  access: ['customer'],
  response: responseSchema,
  handle: async ({ params }, ctx) => cartView(ownCart(await carts.find(ctx.db, params.id), params.id, ctx.caller), ctx.now()),
});
