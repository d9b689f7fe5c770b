// Every function of the platform context (the operator plane), keyed by its source path under
// functions/, for the registry; and the count of dead letters the function table shows.
import platformDiscardDeadLetter from './commands/discard-dead-letter.js';
import platformReplayDeadLetter from './commands/replay-dead-letter.js';
import platformReplayDeadLetters from './commands/replay-dead-letters.js';
import platformDeadLetters from './handlers/dead-letters.js';
import platformGetDeadLetter from './queries/get-dead-letter.js';
import platformListBrokerEvents from './queries/list-broker-events.js';
import platformListDeadLetters from './queries/list-dead-letters.js';
import { poolFor } from '../runtime/db.js';
import { countBySubscriber } from './store.js';

export const platformFunctions = {
  'platform/handlers/dead-letters': platformDeadLetters,
  'platform/queries/list-dead-letters': platformListDeadLetters,
  'platform/queries/get-dead-letter': platformGetDeadLetter,
  'platform/commands/replay-dead-letter': platformReplayDeadLetter,
  'platform/commands/replay-dead-letters': platformReplayDeadLetters,
  'platform/commands/discard-dead-letter': platformDiscardDeadLetter,
  'platform/queries/list-broker-events': platformListBrokerEvents,
};

/** Dead letters still waiting, by subscriber function: the function table shows them. */
export const deadLettersWaiting = async (): Promise<Record<string, number>> => countBySubscriber(await poolFor('platform'));
