import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/billing/create-client.json' with { type: 'json' };
import { command } from '../../runtime/definition.js';
import { createClient, type Client, type NewClient } from '../client.js';
import { clients } from '../store.js';

export default command<NewClient, Record<string, string>, Record<string, string>, Client>({
  route: 'POST /billing/clients',
  access: ['admin'],
  body: schema,
  status: 201,
  location: (client) => `/billing/clients/${client.id}`,
  handle: ({ body }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const [client, events] = createClient(body, randomUUID(), ctx.now());
      await clients.insert(tx, client);
      await tx.emit(...events);
      return client;
    }),
});
