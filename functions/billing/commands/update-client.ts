import schema from '../../../schemas/billing/update-client.json' with { type: 'json' };
import type { BillingClient, BillingUpdateClient } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { updateClient } from '../client.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { clients } from '../store.js';
import responseSchema from '../../../schemas/billing/client.json' with { type: 'json' };

export default command<BillingUpdateClient, { id: string }, Record<string, string>, Answer<BillingClient>>({
  route: 'PATCH /billing/clients/{id}',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const client = await clients.find(tx, params.id);
      if (!client) throw new NotFound(`client ${params.id} does not exist`);
      checkIfMatch(client, ifMatch);
      const [updated, events] = updateClient(client, body, ctx.now());
      if (events.length === 0) return client;
      await clients.update(tx, updated, client.version);
      await tx.emit(...events);
      return updated;
    }),
});
