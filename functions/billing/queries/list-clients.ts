import schema from '../../../schemas/billing/list-clients.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import type { Client } from '../client.js';
import { clients, type Page, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/billing/client-page.json' with { type: 'json' };

export default query<PageRequest, Record<string, string>, Page<Client>>({
  route: 'GET /billing/clients',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: ({ query: page }, ctx) => clients.list(ctx.db, page),
});
