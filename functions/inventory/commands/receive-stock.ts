import schema from '../../../schemas/inventory/receive-stock.json' with { type: 'json' };
import type { InventoryItem, InventoryReceiveStock } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { itemView, receive } from '../item.js';
import { items } from '../store.js';
import responseSchema from '../../../schemas/inventory/item.json' with { type: 'json' };

/** Stock that arrived: `quantity` more on hand. Answers with the item as the receipt left it. */
export default command<InventoryReceiveStock, { productId: string }, Record<string, string>, Answer<InventoryItem>>({
  route: 'POST /inventory/items/{productId}/receipts',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
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
