import type { InventoryItem } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { itemView } from '../item.js';
import { items } from '../store.js';
import responseSchema from '../../../schemas/inventory/item.json' with { type: 'json' };

export default query<Record<string, string>, { productId: string }, Answer<InventoryItem>>({
  route: 'GET /inventory/items/{productId}',
  access: 'public',
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const item = await items.find(ctx.db, params.productId);
    if (!item) throw new NotFound(`product ${params.productId} has no stock item`);
    return itemView(item);
  },
});
