import { randomUUID } from 'node:crypto';
import schema from '../../../schemas/billing/create-client.json' with { type: 'json' };
import type { BillingClient, BillingCreateClient } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { createClient } from '../client.js';
import { clients } from '../store.js';
import responseSchema from '../../../schemas/billing/client.json' with { type: 'json' };

export default command<BillingCreateClient, Record<string, string>, Record<string, string>, Answer<BillingClient>>({
  route: 'POST /billing/clients',
  access: ['admin'],
  response: responseSchema,
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
