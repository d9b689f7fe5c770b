import schema from '../../../schemas/inventory/receive-stock.json' with { type: 'json' };
import { command, type Schema } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { itemView, receive, type ItemView } from '../item.js';
import { items } from '../store.js';
import responseSchema from '../../../schemas/inventory/item.json' with { type: 'json' };

interface Body {
  quantity: number;
}

/** Stock that arrived: `quantity` more on hand. Answers with the item as the receipt left it. */
export default command<Body, { productId: string }, Record<string, string>, ItemView>({
  route: 'POST /inventory/items/{productId}/receipts',
  access: ['admin'],
  response: responseSchema as Schema,
  body: schema as Schema,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      // Locked: a reservation running at the same moment is waited for, not overwritten.
      const item = await items.lock(tx, params.productId);
      if (!item) throw new NotFound(`product ${params.productId} has no stock item`);
      checkIfMatch(item, ifMatch);
      const [received, events] = receive(item, body.quantity, ctx.now());
      await items.update(tx, received, item);
      await tx.emit(...events);
      return itemView(received);
    }),
});
