import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/billing/create-client.json' with { type: 'json' };
import { command, type Schema } from '../../runtime/definition.js';
import { createClient, type Client, type NewClient } from '../client.js';
import { clients } from '../store.js';
import responseSchema from '../../../schemas/billing/client.json' with { type: 'json' };

export default command<NewClient, Record<string, string>, Record<string, string>, Client>({
  route: 'POST /billing/clients',
  access: ['admin'],
  response: responseSchema as Schema,
  body: schema as Schema,
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
