import type { PlatformDeadLetterPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/platform/list-dead-letters.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import type { PageRequest } from '../../runtime/paging.js';
import { listDeadLetters, type DeadLetterFilter } from '../store.js';
import responseSchema from '../../../schemas/platform/dead-letter-page.json' with { type: 'json' };

export default query<DeadLetterFilter & PageRequest, Record<string, string>, Answer<PlatformDeadLetterPage>>({
  route: 'GET /broker/dead-letters',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: ({ query: { limit, cursor, ...filter } }, ctx) => listDeadLetters(ctx.db, filter, { limit, cursor }),
});
