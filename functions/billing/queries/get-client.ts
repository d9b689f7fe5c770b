import type { BillingClient } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { clients } from '../store.js';
import responseSchema from '../../../schemas/billing/client.json' with { type: 'json' };

export default query<Record<string, string>, { id: string }, Answer<BillingClient>>({
  route: 'GET /billing/clients/{id}',
  access: ['admin'],
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const client = await clients.find(ctx.db, params.id);
    if (!client) throw new NotFound(`client ${params.id} does not exist`);
    return client;
  },
});
