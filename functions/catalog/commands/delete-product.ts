import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { deleteProduct } from '../product.js';
import { products } from '../store.js';

/** Withdraws a product: gone from lists and reads, invalid in carts, its SKU free again. */
export default command<unknown, { id: string }, Record<string, string>, undefined>({
  route: 'DELETE /catalog/products/{id}',
  access: ['admin'],
  ifMatch: true,
  status: 204,
  handle: ({ params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const product = await products.find(tx, params.id);
      if (!product) throw new NotFound(`product ${params.id} does not exist`);
      checkIfMatch(product, ifMatch);
      const [deleted, events] = deleteProduct(product, ctx.now());
      await products.remove(tx, deleted, product.version);
      await tx.emit(...events);
      return undefined;
    }),
});
