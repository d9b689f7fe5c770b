import type { BillingClientPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/billing/list-clients.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { clients, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/billing/client-page.json' with { type: 'json' };

export default query<PageRequest, Record<string, string>, Answer<BillingClientPage>>({
  route: 'GET /billing/clients',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: ({ query: page }, ctx) => clients.list(ctx.db, page),
});
