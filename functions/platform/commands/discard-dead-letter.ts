import type { PlatformDeadLetter } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/platform/discard-dead-letter.json' with { type: 'json' };
import { command } from '../../runtime/definition.js';
import { Conflict, NotFound } from '../../runtime/errors.js';
import { getDeadLetter, markDiscarded } from '../store.js';
import responseSchema from '../../../schemas/platform/dead-letter.json' with { type: 'json' };

export default command<{ reason: string }, { id: string }, Record<string, string>, Answer<PlatformDeadLetter>>({
  route: 'POST /broker/dead-letters/{id}/discard',
  access: ['admin'],
  response: responseSchema,
  body: schema,
  handle: ({ params, body }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const discarded = await markDiscarded(tx, params.id, body.reason.trim());
      if (discarded) return discarded;
      const letter = await getDeadLetter(tx, params.id);
      if (!letter) throw new NotFound(`dead letter ${params.id} does not exist`);
      throw new Conflict(`dead letter ${params.id} is ${letter.state}: only a dead letter that is still dead can be discarded`);
    }),
});
