import schema from '../../../schemas/platform/list-dead-letters.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import type { Page, PageRequest } from '../../runtime/paging.js';
import { listDeadLetters, type DeadLetter, type DeadLetterFilter } from '../store.js';
import responseSchema from '../../../schemas/platform/dead-letter-page.json' with { type: 'json' };

export default query<DeadLetterFilter & PageRequest, Record<string, string>, Page<DeadLetter>>({
  route: 'GET /broker/dead-letters',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: ({ query: { limit, cursor, ...filter } }, ctx) => listDeadLetters(ctx.db, filter, { limit, cursor }),
});
