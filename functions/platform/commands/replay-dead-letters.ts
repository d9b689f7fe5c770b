import type { PlatformReplayedOutcome, PlatformReplayReport } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/platform/replay-dead-letters.json' with { type: 'json' };
import { command } from '../../runtime/definition.js';
import { Conflict } from '../../runtime/errors.js';
import { redeliver } from '../delivery.js';
import { settle } from '../replay.js';
import { listDeadLetters } from '../store.js';
import responseSchema from '../../../schemas/platform/replay-report.json' with { type: 'json' };

interface Selection {
  type?: string;
  subscriber?: string;
}

export default command<unknown, Record<string, string>, Selection, Answer<PlatformReplayReport>>({
  route: 'POST /broker/dead-letters/replay',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: async ({ query: selection }, ctx) => {
    const items: PlatformReplayedOutcome[] = [];
    let cursor: string | undefined;
    do {
      // Keyset pages in the order of first failure: a letter refused again stays dead but is passed.
      const page = await listDeadLetters(ctx.db, { ...selection, state: 'dead' }, { limit: 200, cursor });
      for (const letter of page.items) {
        const outcome = await redeliver(letter);
        try {
          const { deadLetter: _after, ...item } = await settle(ctx.db, letter, outcome);
          items.push(item);
        } catch (error) {
          // Replayed or discarded by someone else while this one was under way: theirs stands.
          if (!(error instanceof Conflict)) throw error;
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const report = {
      ...selection,
      delivered: items.filter((i) => i.outcome === 'delivered').length,
      refused: items.filter((i) => i.outcome === 'refused').length,
      items,
    };
    // Each outcome is written as it comes; the transaction records the answer to an Idempotency-Key.
    return ctx.inTransaction(() => Promise.resolve(report));
  },
});
