import { productCreated } from '../../../events/catalog.js';
import { handler } from '../../runtime/definition.js';
import { createItem } from '../item.js';
import { items } from '../store.js';

/** The new product's item, with nothing on hand. A product that already has one keeps it as it is. */
export default handler({
  event: productCreated,
  handle: async ({ data }, ctx) => {
    const [item, events] = createItem(data.productId, ctx.now());
    // Two deliveries of the product's creation racing: one inserts, the other finds the row.
    if (!(await items.insert(ctx.tx, item))) return;
    await ctx.tx.emit(...events);
  },
});
