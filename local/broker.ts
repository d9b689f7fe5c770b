// The local broker, durable in the embedded database. It behaves as a Knative Broker does:
// an accepted event (202) is stored with one delivery per matching Trigger; deliveries go out in
// CloudEvents binary mode with `Prefer: reply`, a reply event re-enters the broker, statuses
// 404, 408, 409, 429, 5xx and timeouts are retried with the Trigger's backoff, any other 4xx is
// not, and what is given up on goes to the dead-letter sink with Knative's error extensions.
import type pg from 'pg';
import { fromHttp, type ReceivedEvent } from '../events/index.js';
import { postEvent, type Answer } from '../functions/runtime/post.js';
import type { Logger } from '../functions/runtime/log.js';
import { matchesTrigger, type Destination, type DeliverySpec, type TriggerSpec } from './routing.js';

export interface DeliveryState {
  trigger: string;
  subscriber: string;
  state: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: string;
}

export interface BrokerEvent {
  seq: number;
  event: ReceivedEvent<unknown>;
  acceptedAt: string;
  deliveries: DeliveryState[];
}

export interface EventQuery {
  type?: string;
  subject?: string;
  correlationid?: string;
  after?: number;
  limit: number;
}

export interface Broker {
  /** Stores an event durably for every matching Trigger; resolves once it is stored. */
  accept(event: ReceivedEvent<unknown>): Promise<void>;
  /** Delivers `event` again to one Trigger only (a dead-letter replay). */
  redeliver(event: ReceivedEvent<unknown>, trigger: TriggerSpec): Promise<void>;
  events(query: EventQuery): Promise<BrokerEvent[]>;
  triggers: TriggerSpec[];
  start(): void;
  stop(): Promise<void>;
  /** Resolves once nothing is pending or in flight (tests). */
  idle(timeoutMs?: number): Promise<void>;
}

const RETRIED = new Set([404, 408, 409, 429]);
/** Whether a subscriber's answer is retried (Knative's rule); a failure without an answer always is. */
export const retried = (status: number | null) => status === null || status >= 500 || RETRIED.has(status);

export const backoffMs = (delivery: DeliverySpec, attempt: number): number =>
  delivery.backoffPolicy === 'linear' ? delivery.backoffDelayMs * attempt : delivery.backoffDelayMs * 2 ** (attempt - 1);

export interface BrokerOptions {
  pool: pg.Pool;
  triggers: TriggerSpec[];
  /** The URL of a destination: a Service name is one of the platform's functions. */
  resolve(destination: Destination): string;
  log: Logger;
  pollMs?: number;
  concurrency?: number;
  /** How long a claimed delivery is owned before another worker may take it. */
  leaseMs?: number;
}

/** The reply CloudEvent of a subscriber's 2xx answer, if it sent one. */
export const replyOf = (answer: Answer): ReceivedEvent<unknown> | undefined => {
  if (answer.text.length === 0 && !answer.headers['ce-id']) return undefined;
  return fromHttp(answer.headers, answer.text);
};

/** The event as a dead-letter sink receives it: with Knative's error extensions. */
export const deadLetterEvent = (event: ReceivedEvent<unknown>, destination: string, status: number | null, error: string): ReceivedEvent<unknown> => ({
  ...event,
  extensions: {
    ...event.extensions,
    knativeerrordest: destination,
    knativeerrorcode: String(status ?? 0),
    knativeerrordata: Buffer.from(error.slice(0, 1024)).toString('base64'),
  },
});

/** Why a delivery failed without an answer, in a line. */
export const failureText = (failure: unknown, timeoutMs: number): string => {
  const error = failure as Error & { cause?: Error };
  return error.name === 'TimeoutError' || error.cause?.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : error.message;
};

/** Where a broker keeps the record of accepted events and their deliveries. */
export interface EventLog {
  events: string;
  deliveries: string;
  /** How a delivery row refers to its event row (`d`, `e`). */
  join: string;
}

const EMBEDDED_LOG: EventLog = { events: 'platform.broker_events', deliveries: 'platform.broker_deliveries', join: 'd.event_seq = e.seq' };

/** Accepted events with their deliveries, oldest first, for GET /broker/events. */
export const listEvents = async (pool: pg.Pool, q: EventQuery, log: EventLog): Promise<BrokerEvent[]> => {
  const { rows } = await pool.query<{ seq: number; event: ReceivedEvent<unknown>; accepted_at: Date; deliveries: DeliveryState[] | null }>(
    `SELECT e.seq, e.event, e.accepted_at,
       (SELECT json_agg(json_build_object('trigger', d.trigger, 'subscriber', d.subscriber, 'state', d.state,
          'attempts', d.attempts, 'lastStatus', d.last_status, 'lastError', d.last_error, 'updatedAt', d.updated_at) ORDER BY d.trigger)
        FROM ${log.deliveries} d WHERE ${log.join}) AS deliveries
     FROM ${log.events} e
     WHERE ($1::text IS NULL OR e.type = $1) AND ($2::text IS NULL OR e.subject = $2)
       AND ($3::text IS NULL OR e.correlation_id = $3) AND e.seq > $4
     ORDER BY e.seq LIMIT $5`,
    [q.type ?? null, q.subject ?? null, q.correlationid ?? null, q.after ?? 0, q.limit],
  );
  return rows.map((r) => ({ seq: Number(r.seq), event: r.event, acceptedAt: new Date(r.accepted_at).toISOString(), deliveries: r.deliveries ?? [] }));
};

interface Claimed {
  event_seq: number;
  trigger: string;
  attempts: number;
  event: ReceivedEvent<unknown>;
}

export const createEmbeddedBroker = (options: BrokerOptions): Broker => {
  const { pool, log } = options;
  const triggers = options.triggers;
  const byName = new Map(triggers.map((t) => [t.name, t]));
  const pollMs = options.pollMs ?? 200;
  const concurrency = options.concurrency ?? 8;
  const leaseMs = options.leaseMs ?? 120_000;
  let running = false;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();

  // Set by every nudge: one that comes while a claim is running is not lost to the wait after it.
  let nudged = false;
  const nudge = () => {
    nudged = true;
    wake?.();
  };

  // One statement (atomic on its own, no BEGIN/COMMIT): the event and a delivery per Trigger.
  const store = async (event: ReceivedEvent<unknown>, targets: TriggerSpec[]): Promise<number> => {
    const deliveries = targets.map((t) => ({ trigger: t.name, subscriber: t.subscriber.service ?? t.subscriber.uri, ordered: t.ordered }));
    const { rows } = await pool.query<{ seq: number }>(
      `WITH accepted AS (
         INSERT INTO platform.broker_events (id, source, type, subject, correlation_id, event) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq
       ), deliveries AS (
         INSERT INTO platform.broker_deliveries (event_seq, trigger, subscriber, partition_key, ordered)
         SELECT accepted.seq, d.trigger, d.subscriber, $7, d.ordered
         FROM accepted, jsonb_to_recordset($8::jsonb) AS d(trigger text, subscriber text, ordered boolean)
       )
       SELECT seq FROM accepted`,
      [event.id, event.source, event.type, event.subject || null, event.correlationid ?? null, JSON.stringify(event),
        event.partitionkey ?? event.subject ?? '', JSON.stringify(deliveries)],
    );
    const seq = rows[0]?.seq as number;
    log.debug('event accepted', { seq, id: event.id, type: event.type, triggers: targets.map((t) => t.name) });
    nudge();
    return seq;
  };

  const claim = async (limit: number): Promise<Claimed[]> => {
    const { rows } = await pool.query<Claimed>(
      `UPDATE platform.broker_deliveries d
       SET claimed_until = now() + make_interval(secs => $2::double precision), attempts = d.attempts + 1, updated_at = now()
       FROM (
         SELECT c.event_seq, c.trigger FROM platform.broker_deliveries c
         WHERE c.state = 'pending' AND c.next_attempt_at <= now()
           AND (c.claimed_until IS NULL OR c.claimed_until < now())
           AND (NOT c.ordered OR NOT EXISTS (
             SELECT 1 FROM platform.broker_deliveries e
             WHERE e.trigger = c.trigger AND e.partition_key = c.partition_key AND e.state = 'pending' AND e.event_seq < c.event_seq))
         ORDER BY c.event_seq
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       ) AS picked, platform.broker_events ev
       WHERE d.event_seq = picked.event_seq AND d.trigger = picked.trigger AND ev.seq = d.event_seq
       RETURNING d.event_seq, d.trigger, d.attempts, ev.event`,
      [limit, leaseMs / 1000],
    );
    return rows.sort((a, b) => a.event_seq - b.event_seq);
  };

  const finish = (c: Claimed, state: 'pending' | 'delivered' | 'dead', status: number | null, error: string | null, delayMs = 0) =>
    pool.query(
      `UPDATE platform.broker_deliveries SET state = $3, last_status = $4, last_error = $5, claimed_until = NULL,
         next_attempt_at = now() + make_interval(secs => $6::double precision), updated_at = now()
       WHERE event_seq = $1 AND trigger = $2`,
      [c.event_seq, c.trigger, state, status, error, delayMs / 1000],
    );

  const deadLetter = async (c: Claimed, trigger: TriggerSpec, status: number | null, error: string) => {
    const sink = trigger.delivery.deadLetterSink;
    await finish(c, 'dead', status, error);
    if (!sink) {
      log.warn('delivery given up, no dead-letter sink', { trigger: trigger.name, eventId: c.event.id, status, error });
      return;
    }
    try {
      const letter = deadLetterEvent(c.event, options.resolve(trigger.subscriber), status, error);
      const answer = await postEvent(options.resolve(sink), letter, AbortSignal.timeout(trigger.delivery.timeoutMs));
      if (answer.status >= 300) throw new Error(`dead-letter sink answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      log.warn('delivery given up, sent to the dead-letter sink', { trigger: trigger.name, eventId: c.event.id, status });
    } catch (sinkError) {
      await pool.query(
        `UPDATE platform.broker_deliveries SET last_error = $3 WHERE event_seq = $1 AND trigger = $2`,
        [c.event_seq, c.trigger, `${error}; dead-letter sink failed: ${(sinkError as Error).message}`],
      );
      log.error('dead-letter sink failed; the delivery stays dead in the broker log', { trigger: trigger.name, eventId: c.event.id });
    }
  };

  const deliver = async (c: Claimed): Promise<void> => {
    const trigger = byName.get(c.trigger);
    if (!trigger) {
      await finish(c, 'dead', null, `trigger ${c.trigger} no longer exists`);
      return;
    }
    const started = performance.now();
    let status: number | null = null;
    let error = '';
    try {
      const answer = await postEvent(options.resolve(trigger.subscriber), c.event, AbortSignal.timeout(trigger.delivery.timeoutMs), { prefer: 'reply' });
      status = answer.status;
      if (status >= 200 && status < 300) {
        // A reply CloudEvent goes back into the broker.
        const reply = replyOf(answer);
        if (reply) await store(reply, triggers.filter((t) => matchesTrigger(t, reply)));
        await finish(c, 'delivered', status, null);
        log.info('delivery', { trigger: trigger.name, eventId: c.event.id, type: c.event.type, status, attempt: c.attempts, durationMs: Math.round(performance.now() - started) });
        return;
      }
      error = answer.text.slice(0, 2000) || `HTTP ${status}`;
    } catch (failure) {
      error = failureText(failure, trigger.delivery.timeoutMs);
    }
    log.info('delivery', { trigger: trigger.name, eventId: c.event.id, type: c.event.type, status, attempt: c.attempts, error: error.slice(0, 200) });
    if (retried(status) && c.attempts <= trigger.delivery.retry) {
      await finish(c, 'pending', status, error, backoffMs(trigger.delivery, c.attempts));
      return;
    }
    await deadLetter(c, trigger, status, error);
  };

  const run = async () => {
    while (running) {
      const free = concurrency - inFlight.size;
      nudged = false;
      const claimed = free > 0 ? await claim(free).catch((e: unknown) => {
        log.error('broker claim failed', { error: String(e) });
        return [] as Claimed[];
      }) : [];
      for (const c of claimed) {
        const p = deliver(c)
          .catch((e: unknown) => log.error('delivery failed', { trigger: c.trigger, error: String(e) }))
          .finally(() => {
            inFlight.delete(p);
            nudge();
          });
        inFlight.add(p);
      }
      // Fewer than asked: nothing else is due until a nudge (an event stored, a delivery ended) or
      // the poll (a backoff run out). Claiming again at once would only hold the database.
      if (claimed.length < free || free === 0) {
        if (!running || nudged) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  };

  return {
    triggers,
    accept: async (event) => {
      await store(event, triggers.filter((t) => matchesTrigger(t, event)));
    },
    redeliver: async (event, trigger) => {
      await store(event, [trigger]);
    },
    events: (q) => listEvents(pool, q, EMBEDDED_LOG),
    start: () => {
      if (running) return;
      running = true;
      // Claims of a process that stopped are void: this process is the broker now.
      loop = pool
        .query(`UPDATE platform.broker_deliveries SET claimed_until = NULL WHERE state = 'pending' AND claimed_until IS NOT NULL`)
        .then(run);
    },
    stop: async () => {
      running = false;
      nudge();
      await loop;
      await Promise.allSettled([...inFlight]);
    },
    idle: async (timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM platform.broker_deliveries WHERE state = 'pending' AND next_attempt_at <= now() + interval '1 second'`,
        );
        if ((rows[0]?.n ?? 0) === 0 && inFlight.size === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the broker did not settle in time');
    },
  };
};
