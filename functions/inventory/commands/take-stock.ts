import schema from '../../../schemas/inventory/take-stock.json' with { type: 'json' };
import type { InventoryItem, InventoryTakeStock } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { itemView, takeStock } from '../item.js';
import { items } from '../store.js';
import responseSchema from '../../../schemas/inventory/item.json' with { type: 'json' };

/** A stock-take: what was counted is what is on hand, never fewer than orders hold (409). */
export default command<InventoryTakeStock, { productId: string }, Record<string, string>, Answer<InventoryItem>>({
  route: 'PUT /inventory/items/{productId}',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      // Locked: the reserved count checked below cannot grow before this commits.
      const item = await items.lock(tx, params.productId);
      if (!item) throw new NotFound(`product ${params.productId} has no stock item`);
      checkIfMatch(item, ifMatch);
      const [counted, events] = takeStock(item, body.onHand, ctx.now());
      if (events.length === 0) return itemView(item);
      await items.update(tx, counted, item);
      await tx.emit(...events);
      return itemView(counted);
    }),
});
