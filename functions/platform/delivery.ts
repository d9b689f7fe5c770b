// The one place a kept event goes back to its subscriber: the request the broker would have made
// (CloudEvents binary mode, POST to the subscriber's URL), so a replay reaches a function in a
// cluster and locally alike, with the credentials the subscriber expects: a token for its
// audience (its function's name), from the TokenRequest API in a cluster, the local issuer locally.
import type { ReceivedEvent } from '../../events/index.js';
import { postEvent } from '../runtime/post.js';
import { deliveryHeaders } from '../runtime/token-source.js';
import type { DeadLetter, ReplayOutcome } from './store.js';

/** How long a replay waits for the subscriber (DEAD_LETTER_REPLAY_TIMEOUT_MS, default 30 s). */
const timeoutMs = (): number => Number(process.env.DEAD_LETTER_REPLAY_TIMEOUT_MS ?? 30_000) || 30_000;

const whyNoAnswer = (failure: unknown, ms: number): string => {
  const error = failure as Error & { cause?: Error };
  return error.name === 'TimeoutError' || error.cause?.name === 'TimeoutError' ? `timed out after ${ms} ms` : error.message;
};

/** Delivers the letter's event to the subscriber it failed at; a refusal is an outcome, not an error. */
export const redeliver = async (letter: DeadLetter): Promise<ReplayOutcome> => {
  const ms = timeoutMs();
  try {
    const headers = await deliveryHeaders(letter.subscriber);
    const answer = await postEvent(letter.destination, letter.event as unknown as ReceivedEvent<unknown>, AbortSignal.timeout(ms), headers);
    if (answer.status >= 200 && answer.status < 300) return { delivered: true, status: answer.status };
    return { delivered: false, status: answer.status, error: answer.text.slice(0, 4000) || `HTTP ${answer.status}` };
  } catch (failure) {
    return { delivered: false, status: null, error: whyNoAnswer(failure, ms) };
  }
};
