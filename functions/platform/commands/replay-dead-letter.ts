import type { PlatformReplayed } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { redeliver } from '../delivery.js';
import { replayable, settle } from '../replay.js';
import responseSchema from '../../../schemas/platform/replayed.json' with { type: 'json' };

export default command<unknown, { id: string }, Record<string, string>, Answer<PlatformReplayed>>({
  route: 'POST /broker/dead-letters/{id}/replay',
  access: ['admin'],
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const letter = await replayable(ctx.db, params.id);
    // Delivered before the transaction, which records the outcome (and the answer to an
    // Idempotency-Key): none is held open while the subscriber answers.
    const outcome = await redeliver(letter);
    return ctx.inTransaction((tx) => settle(tx, letter, outcome));
  },
});
