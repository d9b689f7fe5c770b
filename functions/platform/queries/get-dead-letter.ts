import type { PlatformDeadLetter } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { getDeadLetter } from '../store.js';
import responseSchema from '../../../schemas/platform/dead-letter.json' with { type: 'json' };

export default query<Record<string, string>, { id: string }, Answer<PlatformDeadLetter>>({
  route: 'GET /broker/dead-letters/{id}',
  access: ['admin'],
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const letter = await getDeadLetter(ctx.db, params.id);
    if (!letter) throw new NotFound(`dead letter ${params.id} does not exist`);
    return letter;
  },
});
