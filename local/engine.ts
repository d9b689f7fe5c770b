// The delivery engine both local brokers share; they differ only in the log they read and how they
// commit. It keeps to the contract of Knative's Kafka broker dispatcher: one attempt is a POST of
// the event in CloudEvents binary mode with `Prefer: reply` and `Kn-Namespace`, bounded by the
// Trigger's timeout; a 2xx ends it (a reply CloudEvent in the answer re-enters the broker); 404,
// 408, 409, 429, 5xx and no answer at all are retried with the Trigger's backoff until its retries
// are spent; then the event goes to the dead-letter sink with `knativeerrordest`,
// `knativeerrorcode` and `knativeerrordata` (the last answer's body, base64, at most 1024 bytes).
import { setMaxListeners } from 'node:events';
import { fromHttp, toBinaryHttp, type ReceivedEvent } from '../events/index.js';
import type { Logger } from '../functions/runtime/log.js';
import { count } from '../functions/runtime/metrics.js';
import { isRetried, postHttp, type Answer } from '../functions/runtime/post.js';
import { traceHeaders } from '../functions/runtime/telemetry.js';
import { attemptSpan, deadLetterSpan } from './delivery-spans.js';
import type { DeliverySpec, Destination, TriggerSpec } from './routing.js';

/** An event as a log hands it to the engine: attributes to filter and log on, the request, the whole. */
export interface Outgoing {
  attributes: ReceivedEvent<unknown>;
  /** The body and CloudEvents headers of the request (binary mode): new objects each call, the engine adds to them. */
  request(): { headers: Record<string, string>; body: string };
  /** The whole event, parsed (a dead letter needs it). */
  whole(): ReceivedEvent<unknown>;
}

/** An event the engine holds already parsed (what the embedded log keeps). */
export const outgoingOf = (event: ReceivedEvent<unknown>): Outgoing => ({ attributes: event, request: () => toBinaryHttp(event), whole: () => event });

/**
 * The headers a destination needs beyond the CloudEvent's own: the one place where delivery
 * credentials (a token for the destination's audience) are attached.
 */
export type HeadersFor = (destination: Destination, url: string) => Record<string, string> | Promise<Record<string, string>>;

export interface EngineOptions {
  /** The URL of a destination: a Service name is one of the platform's functions. */
  resolve(destination: Destination): string;
  /** Stores events in the broker; a reply goes back in through it. */
  accept(events: ReceivedEvent<unknown>[]): Promise<void>;
  log: Logger;
  /** What `Kn-Namespace` says: a manifest without a namespace lands in Kubernetes' `default`. */
  namespace?: string;
  headersFor?: HeadersFor;
}

/** The last failed answer of a delivery: its status, and its body (or why there was none). */
export interface Failure {
  status: number | null;
  /** The body of the answer; empty when there was none. */
  body: string;
  /** A line for the log and the trace. */
  error: string;
}

/** What one attempt came to. */
export type Attempt =
  { state: 'delivered'; status: number } | ({ state: 'retry'; delayMs: number } & Failure) | ({ state: 'dead' } & Failure) | { state: 'stopped' };

export interface Engine {
  /** The request of one attempt: CloudEvents headers, the dispatcher's headers, the destination's. */
  request(destination: Destination, outgoing: Outgoing): Promise<{ url: string; headers: Record<string, string>; body: string }>;
  /**
   * Attempt number `attempt` (from 1) of a delivery, and what follows from its answer: a reply
   * stored, a backoff to wait, or the hand-over to the dead-letter sink. `stopped` when `signal`
   * aborts first: the delivery has not ended and must be delivered again.
   */
  attempt(trigger: TriggerSpec, outgoing: Outgoing, attempt: number, signal: AbortSignal): Promise<Attempt>;
  /** Hands a given-up delivery to the Trigger's dead-letter sink, trying until taken; false when stopped first. */
  giveUp(trigger: TriggerSpec, outgoing: Outgoing, failure: Failure, signal: AbortSignal): Promise<boolean>;
}

/** The wait before retry number `retry` (from 1), as Knative's dispatcher computes it. */
export const backoffMs = (delivery: DeliverySpec, retry: number): number =>
  delivery.backoffPolicy === 'linear' ? delivery.backoffDelayMs * retry : delivery.backoffDelayMs * 2 ** retry;

/** The reply CloudEvent of a subscriber's 2xx answer, if it sent one. */
export const replyOf = (answer: Answer): ReceivedEvent<unknown> | undefined => {
  if (answer.text.length === 0 && !answer.headers['ce-id']) return undefined;
  return fromHttp(answer.headers, answer.text);
};

const ERROR_DATA_MAX_BYTES = 1024;

/** The event as a dead-letter sink receives it: with the error extensions Knative's dispatcher adds. */
export const deadLetterEvent = (event: ReceivedEvent<unknown>, destination: string, failure: Failure): ReceivedEvent<unknown> => {
  const extensions: Record<string, string> = { ...event.extensions, knativeerrordest: destination };
  // Without an answer (a timeout, a refused connection) Knative tells the destination only.
  if (failure.status !== null) {
    extensions.knativeerrorcode = String(failure.status);
    extensions.knativeerrordata = Buffer.from(failure.body).subarray(0, ERROR_DATA_MAX_BYTES).toString('base64');
  }
  return { ...event, extensions };
};

/** Why a delivery failed without an answer, in a line. */
const failureText = (failure: unknown, timeoutMs: number): string => {
  const error = failure as Error & { cause?: Error };
  return error.name === 'TimeoutError' || error.cause?.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : error.message;
};

export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Tries until it works or `signal` aborts; false when it aborted first. What must not be lost once
 * a subscriber answered (its reply, a dead letter) waits for the broker or the sink to come back.
 */
const persist = async (log: Logger, what: string, signal: AbortSignal, work: () => Promise<void>): Promise<boolean> => {
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await work();
      return true;
    } catch (error) {
      log.warn(`${what} failed; trying again`, { attempt, error: String(error) });
      await sleep(Math.min(200 * 2 ** attempt, 10_000), signal);
    }
  }
  return false;
};

export const createEngine = (options: EngineOptions): Engine => {
  const { log } = options;
  const namespace = options.namespace ?? 'default';

  // One headers object per attempt: the CloudEvent's, the dispatcher's, the destination's, and the
  // trace context the subscriber continues (the span of this attempt).
  const requestWith = (destination: Destination, outgoing: Outgoing, extra: Record<string, string>) => {
    const url = options.resolve(destination);
    const { headers, body } = outgoing.request();
    headers.prefer = 'reply';
    headers['kn-namespace'] = namespace;
    return { url, body, headers: Object.assign(headers, extra) };
  };
  const request: Engine['request'] = async (destination, outgoing) =>
    requestWith(destination, outgoing, options.headersFor ? await options.headersFor(destination, options.resolve(destination)) : {});

  const post = async (destination: Destination, outgoing: Outgoing, timeoutMs: number, signal: AbortSignal): Promise<Answer> => {
    const extra = options.headersFor ? await options.headersFor(destination, options.resolve(destination)) : {};
    const { url, headers, body } = requestWith(destination, outgoing, extra);
    Object.assign(headers, traceHeaders());
    // Every delivery in flight listens to the broker's one stop signal: no leak, so no warning past 10.
    setMaxListeners(0, signal);
    return postHttp(url, headers, body, signal, timeoutMs);
  };

  const giveUp: Engine['giveUp'] = async (trigger, outgoing, failure, signal) => {
    const sink = trigger.delivery.deadLetterSink;
    const event = outgoing.attributes;
    if (!sink) {
      log.warn('delivery given up, no dead-letter sink', { trigger: trigger.name, eventId: event.id, status: failure.status, error: failure.error });
      return true;
    }
    const letter = outgoingOf(deadLetterEvent(outgoing.whole(), options.resolve(trigger.subscriber), failure));
    const sent = await deadLetterSpan(trigger, event, () =>
      persist(log, `dead-lettering ${event.id} of ${trigger.name}`, signal, async () => {
        const answer = await post(sink, letter, trigger.delivery.timeoutMs, signal);
        if (answer.status >= 300) throw new Error(`dead-letter sink answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      }),
    );
    if (sent) log.warn('delivery given up, sent to the dead-letter sink', { trigger: trigger.name, eventId: event.id, status: failure.status });
    return sent;
  };

  const attempt: Engine['attempt'] = (trigger, outgoing, n, signal) =>
    attemptSpan(trigger, outgoing.attributes, n, async () => {
      const ended = await attemptOnce(trigger, outgoing, n, signal);
      const attributes = { trigger: trigger.name, type: outgoing.attributes.type };
      if (ended.state === 'delivered') count((m) => m.eventsDelivered, attributes);
      else if (ended.state === 'retry') count((m) => m.eventsRetried, attributes);
      else if (ended.state === 'dead') count((m) => m.eventsDeadLettered, attributes);
      return ended;
    });

  const attemptOnce: Engine['attempt'] = async (trigger, outgoing, n, signal) => {
    const event = outgoing.attributes;
    const started = performance.now();
    let failure: Failure;
    try {
      const answer = await post(trigger.subscriber, outgoing, trigger.delivery.timeoutMs, signal);
      if (answer.status >= 200 && answer.status < 300) {
        const reply = replyOf(answer);
        if (reply && !(await persist(log, 'storing a reply event', signal, () => options.accept([reply])))) return { state: 'stopped' };
        log.info('delivery', {
          trigger: trigger.name,
          eventId: event.id,
          type: event.type,
          status: answer.status,
          attempt: n,
          durationMs: Math.round(performance.now() - started),
        });
        return { state: 'delivered', status: answer.status };
      }
      failure = { status: answer.status, body: answer.text, error: answer.text.slice(0, 2000) || `HTTP ${answer.status}` };
    } catch (error) {
      if (signal.aborted) return { state: 'stopped' };
      failure = { status: null, body: '', error: failureText(error, trigger.delivery.timeoutMs) };
    }
    log.info('delivery', {
      trigger: trigger.name,
      eventId: event.id,
      type: event.type,
      status: failure.status,
      attempt: n,
      error: failure.error.slice(0, 200),
    });
    if (isRetried(failure.status) && n <= trigger.delivery.retry) return { state: 'retry', delayMs: backoffMs(trigger.delivery, n), ...failure };
    return (await giveUp(trigger, outgoing, failure, signal)) ? { state: 'dead', ...failure } : { state: 'stopped' };
  };

  return { request, attempt, giveUp };
};
