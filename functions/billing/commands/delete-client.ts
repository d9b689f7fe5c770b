import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { deleteClient } from '../client.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { clients } from '../store.js';

export default command<unknown, { id: string }, Record<string, string>, undefined>({
  route: 'DELETE /billing/clients/{id}',
  access: ['admin'],
  ifMatch: true,
  status: 204,
  handle: ({ params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const client = await clients.find(tx, params.id);
      if (!client) throw new NotFound(`client ${params.id} does not exist`);
      checkIfMatch(client, ifMatch);
      const events = deleteClient(client, await clients.hasInvoices(tx, client.id));
      await clients.remove(tx, client);
      await tx.emit(...events);
      return undefined;
    }),
});
