import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { deleteInvoice } from '../invoice.js';
import { invoices } from '../store.js';

export default command<unknown, { id: string }, Record<string, string>, undefined>({
  route: 'DELETE /billing/invoices/{id}',
  access: ['admin'],
  ifMatch: true,
  status: 204,
  handle: ({ params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const invoice = await invoices.find(tx, params.id);
      if (!invoice) throw new NotFound(`invoice ${params.id} does not exist`);
      checkIfMatch(invoice, ifMatch);
      const events = deleteInvoice(invoice);
      await invoices.remove(tx, invoice);
      await tx.emit(...events);
      return undefined;
    }),
});
