// The local broker backed by Kafka (KAFKA_BROKERS), built the way Knative's Kafka broker works:
// - the ingress writes each event to the broker's topic as a CloudEvents record in binary mode
//   (`ce_` headers, the data as the value, `partitionkey` as the key) through an idempotent
//   producer with acks from every in-sync replica, and answers 202 only once Kafka has it (503 when
//   Kafka does not take it in time: the publisher keeps the event in its outbox);
// - every Trigger reads the topic through its own consumer group and commits an offset only once
//   the deliveries before it have ended (delivered, or given to the dead-letter sink), so a crash
//   delivers again and never skips;
// - an `ordered` Trigger (`kafka.eventing.knative.dev/delivery.order: ordered`) delivers one event
//   at a time per partition; an unordered one delivers up to `unorderedInFlight` events of a
//   partition at once and commits up to the lowest delivery not yet ended;
// - offsets are committed at most once per `commitIntervalMs` per Trigger (and on stop), not once
//   per record: a crash delivers again what ended since the last commit, which the subscribers'
//   inboxes absorb, and Kafka is not asked for an offset commit by every Trigger for every event;
// - retries, timeouts, `Prefer: reply` and dead letters as in the embedded broker.
// Kafka holds the events and the offsets. PostgreSQL keeps a trace of what was accepted and how each
// delivery ended, for GET /broker/events, written behind Kafka in batches: the 202 waits for Kafka
// only. A crash may cut the last moments of the trace short, never an event: a record whose
// acceptance another run of the broker traced (or failed to) is traced again as its delivery starts.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type pg from 'pg';
import { fromKafkaRecord, recordAttributes, recordHeader, recordHttpHeaders, toBinaryHttp, toKafkaRecord, type ReceivedEvent } from '../events/index.js';
import { inTransaction } from '../functions/runtime/db.js';
import { Unavailable } from '../functions/runtime/errors.js';
import { idempotentProducer, kafkaClient } from '../functions/runtime/kafka.js';
import type { Logger } from '../functions/runtime/log.js';
import { postEvent, postHttp } from '../functions/runtime/post.js';
import {
  backoffMs,
  deadLetterEvent,
  failureText,
  listEvents,
  replyOf,
  retried,
  type Broker,
  type BrokerOptions,
  type EventLog,
} from './broker.js';
import { matchesTrigger, type TopicSpec, type TriggerSpec } from './routing.js';

export interface KafkaBrokerOptions extends Omit<BrokerOptions, 'pollMs' | 'concurrency' | 'leaseMs'> {
  topic: string;
  topicSpec: TopicSpec;
  /** Deliveries in flight per partition of an unordered Trigger (Knative's default is 100s). */
  unorderedInFlight?: number;
  /** How long the ingress waits for Kafka before answering 503. */
  ingressTimeoutMs?: number;
  /** How often each Trigger commits the offsets of ended deliveries. */
  commitIntervalMs?: number;
}

/** Not a CloudEvents attribute: a replayed dead letter carries the one Trigger it is for. */
const TRIGGER_HEADER = 'gotuto-trigger';
/** Not a CloudEvents attribute: the acceptance the trace rows of this record belong to. */
const ACCEPT_HEADER = 'gotuto-accept-id';
/** Not a CloudEvents attribute: the run of the broker that accepted the record (and traces it). */
const RUN_HEADER = 'gotuto-broker-run';
const TRACE: EventLog = { events: 'platform.kafka_broker_events', deliveries: 'platform.kafka_broker_deliveries', join: 'd.accept_id = e.accept_id' };

/** Creates those of `topics` that do not exist yet, with the broker config's settings; returns them. */
export const ensureTopics = async (admin: Admin, topics: string[], spec: TopicSpec): Promise<string[]> => {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor })) });
  }
  return missing;
};

/** The consumer group of a Trigger on a topic. */
export const consumerGroupOf = (topic: string, trigger: string): string => `${topic}.${trigger}`;

const sleep = (ms: number, signal: AbortSignal) =>
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

// --- the trace --------------------------------------------------------------------------------

interface TracedEvent {
  acceptId: string;
  event: ReceivedEvent<unknown>;
  deliveries: { trigger: string; subscriber: string }[];
}

interface TracedDelivery {
  acceptId: string;
  trigger: string;
  subscriber: string;
  state: 'pending' | 'delivered' | 'dead';
  attempts: number;
  status: number | null;
  error: string | null;
}

const TRACE_LIMIT = 100_000;

/**
 * Writes the trace: accepted events and delivery outcomes, in batches (one transaction per flush;
 * a delivery cut short by a crash is delivered, and traced, again). A trace that cannot be written
 * is logged, never in the way of an event.
 */
const createTrace = (pool: pg.Pool, topic: string, log: Logger) => {
  let accepted: TracedEvent[] = [];
  let ends = new Map<string, TracedDelivery>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const write = (batchEvents: TracedEvent[], batchEnds: TracedDelivery[]) =>
    inTransaction(pool, async (client) => {
      // Kafka holds the events: the trace need not wait for its commit to reach the disk (a crash of
      // PostgreSQL itself may lose its last moments of trace, never an event).
      await client.query('SET LOCAL synchronous_commit TO off');
      if (batchEvents.length > 0) {
        await client.query(
          `INSERT INTO platform.kafka_broker_events (accept_id, topic, id, source, type, subject, correlation_id, event)
           SELECT r.accept_id::uuid, $2, r.event->>'id', r.event->>'source', r.event->>'type', NULLIF(r.event->>'subject', ''),
                  r.event->>'correlationid', r.event
           FROM jsonb_to_recordset($1::jsonb) AS r(accept_id text, event jsonb)
           ON CONFLICT (accept_id) DO NOTHING`,
          [JSON.stringify(batchEvents.map((e) => ({ accept_id: e.acceptId, event: e.event }))), topic],
        );
        const pending = batchEvents.flatMap((e) => e.deliveries.map((d) => ({ accept_id: e.acceptId, trigger: d.trigger, subscriber: d.subscriber })));
        if (pending.length > 0) {
          await client.query(
            `INSERT INTO platform.kafka_broker_deliveries (accept_id, trigger, subscriber)
             SELECT r.accept_id::uuid, r.trigger, r.subscriber FROM jsonb_to_recordset($1::jsonb) AS r(accept_id text, trigger text, subscriber text)
             ON CONFLICT (accept_id, trigger) DO NOTHING`,
            [JSON.stringify(pending)],
          );
        }
      }
      if (batchEnds.length > 0) {
        await client.query(
          `INSERT INTO platform.kafka_broker_deliveries (accept_id, trigger, subscriber, state, attempts, last_status, last_error, updated_at)
           SELECT r.accept_id::uuid, r.trigger, r.subscriber, r.state, r.attempts, r.status, r.error, now()
           FROM jsonb_to_recordset($1::jsonb) AS r(accept_id text, trigger text, subscriber text, state text, attempts int, status int, error text)
           ON CONFLICT (accept_id, trigger) DO UPDATE SET state = EXCLUDED.state, attempts = EXCLUDED.attempts,
             last_status = EXCLUDED.last_status, last_error = EXCLUDED.last_error, updated_at = now()`,
          [JSON.stringify(batchEnds.map((d) => ({ accept_id: d.acceptId, trigger: d.trigger, subscriber: d.subscriber, state: d.state, attempts: d.attempts, status: d.status, error: d.error })))],
        );
      }
    });

  const flush = (): Promise<void> => {
    timer = undefined;
    flushing = flushing.then(async () => {
      const batchEnds = [...ends.values()];
      const batchEvents = accepted;
      ends = new Map();
      accepted = [];
      if (batchEnds.length === 0 && batchEvents.length === 0) return;
      try {
        await write(batchEvents, batchEnds);
      } catch (error) {
        log.warn('broker trace not written; Kafka still holds the events', { events: batchEvents.length, deliveries: batchEnds.length, error: String(error) });
      }
    });
    return flushing;
  };

  const schedule = () => {
    if (!timer) timer = setTimeout(() => void flush(), 25);
  };

  return {
    /** Events Kafka has taken. */
    accepted(entries: TracedEvent[]) {
      if (accepted.length < TRACE_LIMIT) accepted.push(...entries);
      schedule();
    },
    delivery(entry: TracedDelivery) {
      if (ends.size < TRACE_LIMIT) ends.set(`${entry.acceptId} ${entry.trigger}`, entry);
      schedule();
    },
    pending: () => ends.size > 0 || accepted.length > 0 || timer !== undefined,
    flush: async () => {
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
};

// --- one Trigger's consumer ---------------------------------------------------------------------

/** What this process has taken from one partition and not yet committed. */
interface Lane {
  /** The next offset to take; anything below was taken by this process. */
  next: number;
  /** Offsets taken whose delivery has not ended. */
  open: Set<number>;
  /** Offsets of `open` waiting out a backoff of more than a second (ignored by `idle`). */
  resting: Set<number>;
  committed: number;
  freed?: () => void;
}

const commitPointOf = (lane: Lane): number => {
  let lowest = lane.next;
  for (const offset of lane.open) if (offset < lowest) lowest = offset;
  return lowest;
};

/** A record as it is delivered: its attributes (for filters and logs), then HTTP headers and body. */
interface Outgoing {
  attributes: ReceivedEvent<unknown>;
  /** The HTTP request of the delivery, built when a Trigger's filter matched. */
  request(): { headers: Record<string, string>; body: string };
  /** The whole event, parsed and validated (a dead letter needs it). */
  whole(): ReceivedEvent<unknown>;
}

type RecordOf = EachBatchPayload['batch']['messages'][number];

/**
 * What a Trigger delivers of a record. A binary-mode record (what the ingress writes) is matched on
 * its headers and goes out as it is, headers to headers, with no parsing of its data (the ingress
 * validated it); every Trigger reads every record, so only those that match build the request. Any
 * other record is read whole first.
 */
const outgoingOf = (message: RecordOf): Outgoing => {
  if (message.headers?.ce_id !== undefined && message.headers.ce_specversion !== undefined) {
    let whole: ReceivedEvent<unknown> | undefined;
    return {
      attributes: recordAttributes(message.headers, message.key),
      request: () => {
        const headers = recordHttpHeaders(message.headers);
        if (!headers['ce-partitionkey'] && message.key) headers['ce-partitionkey'] = message.key.toString();
        return { headers, body: message.value === null ? '' : message.value.toString() };
      },
      whole: () => (whole ??= fromKafkaRecord(message.headers, message.value, message.key)),
    };
  }
  const event = fromKafkaRecord(message.headers, message.value, message.key);
  return { attributes: event, request: () => toBinaryHttp(event), whole: () => event };
};

interface TriggerConsumer {
  trigger: TriggerSpec;
  groupId: string;
  consumer: Consumer;
  lanes: Map<number, Lane>;
  commit(): Promise<void>;
}

export const createKafkaBroker = async (options: KafkaBrokerOptions): Promise<Broker> => {
  const { pool, log, topic, triggers } = options;
  const unorderedInFlight = options.unorderedInFlight ?? 100;
  const ingressTimeoutMs = options.ingressTimeoutMs ?? Number(process.env.BROKER_INGRESS_TIMEOUT_MS ?? 5000);
  const commitIntervalMs = options.commitIntervalMs ?? Number(process.env.BROKER_COMMIT_INTERVAL_MS ?? 1000);
  const kafka: Kafka = kafkaClient('gotuto-broker');
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    if ((await ensureTopics(admin, [topic], options.topicSpec)).length > 0) log.info('broker topic created', { topic, ...options.topicSpec });
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw new Error(`Kafka at ${process.env.KAFKA_BROKERS} did not give the broker its topic ${topic}: ${(error as Error).message}`);
  }
  const producer: Producer = idempotentProducer(kafka);
  await producer.connect();
  const trace = createTrace(pool, topic, log);

  // --- ingress: events wait while a produce request is in flight, then go in the next one -------
  type Waiting = { record: ReturnType<typeof toKafkaRecord>; traced: TracedEvent; done: (error?: Error) => void };
  let queue: Waiting[] = [];
  let sending = false;
  const runId = randomUUID();

  const sendQueued = async () => {
    sending = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, 1000);
      queue = queue.slice(batch.length);
      let failure: Error | undefined;
      const send = producer.send({ topic, acks: -1, messages: batch.map((w) => w.record) });
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          send,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Unavailable(`Kafka did not take the event within ${ingressTimeoutMs} ms`)), ingressTimeoutMs);
          }),
        ]);
      } catch (error) {
        failure = error instanceof Unavailable ? error : new Unavailable(`Kafka did not take the event: ${(error as Error).message}`);
        // A send that still lands after the 503 delivers the event once more; consumers drop a repeated id.
        send.catch(() => undefined);
      } finally {
        clearTimeout(timer);
      }
      if (failure) {
        for (const w of batch) w.done(failure);
        continue;
      }
      trace.accepted(batch.map((w) => w.traced));
      for (const w of batch) w.done();
    }
    sending = false;
  };

  const produce = (event: ReceivedEvent<unknown>, targets: TriggerSpec[], onlyTrigger?: string): Promise<void> => {
    const acceptId = randomUUID();
    const extra: Record<string, string> = { [ACCEPT_HEADER]: acceptId, [RUN_HEADER]: runId };
    if (onlyTrigger) extra[TRIGGER_HEADER] = onlyTrigger;
    const traced = { acceptId, event, deliveries: targets.map((t) => ({ trigger: t.name, subscriber: t.subscriber.service ?? t.subscriber.uri ?? '' })) };
    return new Promise<void>((resolve, reject) => {
      queue.push({ record: toKafkaRecord(event, extra), traced, done: (error) => (error ? reject(error) : resolve()) });
      if (!sending) void sendQueued();
    });
  };

  // --- deliveries ---------------------------------------------------------------------------------
  let running = false;
  let stopping = new AbortController();
  const consumers: TriggerConsumer[] = [];
  let started: Promise<void> | undefined;

  /** Tries until it works or the broker stops; false when it stopped first. */
  const persist = async (what: string, work: () => Promise<void>): Promise<boolean> => {
    for (let attempt = 1; running; attempt++) {
      try {
        await work();
        return true;
      } catch (error) {
        log.warn(`${what} failed; trying again`, { attempt, error: String(error) });
        await sleep(Math.min(200 * 2 ** attempt, 10_000), stopping.signal);
      }
    }
    return false;
  };

  /**
   * Delivers one event to one Trigger, with retries, then to the dead-letter sink. Resolves true when
   * the delivery ended, false when the broker stopped first (the offset stays uncommitted).
   */
  const deliver = async (c: TriggerConsumer, record: Outgoing, acceptId: string, tracedHere: boolean, lane: Lane, offset: number): Promise<boolean> => {
    const event = record.attributes;
    const { trigger } = c;
    const subscriber = options.resolve(trigger.subscriber);
    const request = record.request();
    const subscriberName = trigger.subscriber.service ?? trigger.subscriber.uri ?? '';
    // An event another run accepted may be missing from the trace (a crash before its batch was
    // written): traced before it is delivered (the trace ignores a repeat), so it shows as pending.
    if (!tracedHere) {
      let whole: ReceivedEvent<unknown> | undefined;
      try {
        whole = record.whole();
      } catch {
        whole = undefined;
      }
      if (whole) trace.accepted([{ acceptId, event: whole, deliveries: [{ trigger: trigger.name, subscriber: subscriberName }] }]);
    }
    const traced = (state: TracedDelivery['state'], attempts: number, status: number | null, error: string | null) =>
      trace.delivery({ acceptId, trigger: trigger.name, subscriber: subscriberName, state, attempts, status, error });
    for (let attempt = 1; ; attempt++) {
      if (!running) return false;
      const started = performance.now();
      let status: number | null = null;
      let error = '';
      try {
        const signal = AbortSignal.any([AbortSignal.timeout(trigger.delivery.timeoutMs), stopping.signal]);
        const answer = await postHttp(subscriber, { ...request.headers, prefer: 'reply' }, request.body, signal);
        status = answer.status;
        if (status >= 200 && status < 300) {
          const reply = replyOf(answer);
          if (reply && !(await persist('storing a reply event', () => produce(reply, triggers.filter((t) => matchesTrigger(t, reply)))))) return false;
          traced('delivered', attempt, status, null);
          log.info('delivery', { trigger: trigger.name, eventId: event.id, type: event.type, status, attempt, durationMs: Math.round(performance.now() - started) });
          return true;
        }
        error = answer.text.slice(0, 2000) || `HTTP ${status}`;
      } catch (failure) {
        if (!running) return false;
        error = failureText(failure, trigger.delivery.timeoutMs);
      }
      log.info('delivery', { trigger: trigger.name, eventId: event.id, type: event.type, status, attempt, error: error.slice(0, 200) });
      if (retried(status) && attempt <= trigger.delivery.retry) {
        traced('pending', attempt, status, error);
        const delay = backoffMs(trigger.delivery, attempt);
        if (delay > 1000) lane.resting.add(offset);
        await sleep(delay, stopping.signal);
        lane.resting.delete(offset);
        continue;
      }
      // Given up: the dead-letter sink has it before the offset moves on.
      const sink = trigger.delivery.deadLetterSink;
      if (sink) {
        const letter = deadLetterEvent(record.whole(), subscriber, status, error);
        const sent = await persist(`dead-lettering ${event.id} of ${trigger.name}`, async () => {
          const answer = await postEvent(options.resolve(sink), letter, AbortSignal.any([AbortSignal.timeout(trigger.delivery.timeoutMs), stopping.signal]));
          if (answer.status >= 300) throw new Error(`dead-letter sink answered ${answer.status}: ${answer.text.slice(0, 200)}`);
        });
        if (!sent) return false;
        log.warn('delivery given up, sent to the dead-letter sink', { trigger: trigger.name, eventId: event.id, status });
      } else {
        log.warn('delivery given up, no dead-letter sink', { trigger: trigger.name, eventId: event.id, status, error });
      }
      traced('dead', attempt, status, error);
      return true;
    }
  };

  const startConsumer = async (trigger: TriggerSpec): Promise<TriggerConsumer> => {
    const groupId = consumerGroupOf(topic, trigger.name);
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      // A fetch returns as soon as a record arrives; the wait only bounds an idle poll (and a stop).
      maxWaitTimeInMs: 1000,
      retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 8, restartOnFailure: async () => true },
    });
    const lanes = new Map<number, Lane>();
    let committing: Promise<void> = Promise.resolve();
    let commitTimer: NodeJS.Timeout | undefined;

    const commitNow = () => {
      commitTimer = undefined;
      committing = committing.then(async () => {
        const offsets = [...lanes.entries()]
          .map(([partition, lane]) => ({ partition, lane, point: commitPointOf(lane) }))
          .filter((o) => o.point > o.lane.committed);
        if (offsets.length === 0) return;
        try {
          await consumer.commitOffsets(offsets.map((o) => ({ topic, partition: o.partition, offset: String(o.point) })));
          for (const o of offsets) o.lane.committed = Math.max(o.lane.committed, o.point);
        } catch (error) {
          // Not committed: a restart delivers these again, which the subscribers' inboxes absorb.
          log.warn('offset commit failed; trying again', { group: groupId, error: String(error) });
          if (running) commitTimer ??= setTimeout(commitNow, 1000);
        }
      });
      return committing;
    };
    const scheduleCommit = () => {
      commitTimer ??= setTimeout(commitNow, commitIntervalMs);
    };

    const laneOf = (partition: number, firstOffset: number): Lane => {
      let lane = lanes.get(partition);
      if (!lane) {
        lane = { next: firstOffset, open: new Set(), resting: new Set(), committed: firstOffset };
        lanes.set(partition, lane);
      }
      return lane;
    };
    const limit = trigger.ordered ? 1 : unorderedInFlight;
    const c: TriggerConsumer = { trigger, groupId, consumer, lanes, commit: async () => { if (commitTimer) clearTimeout(commitTimer); await commitNow(); } };

    const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      const lane = laneOf(batch.partition, Number(batch.firstOffset() ?? 0));
      for (const message of batch.messages) {
        if (!running || !isRunning() || isStale()) return;
        const offset = Number(message.offset);
        if (offset < lane.next) {
          // Taken by this process already (a fetch from an older commit after a restart of the consumer).
          resolveOffset(message.offset);
          continue;
        }
        while (lane.open.size >= limit && running) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1000);
            lane.freed = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          lane.freed = undefined;
          await heartbeat().catch(() => undefined);
        }
        if (!running) return;
        lane.next = offset + 1;
        resolveOffset(message.offset);
        let record: Outgoing;
        try {
          record = outgoingOf(message);
        } catch (error) {
          log.error('a record of the broker topic is not a CloudEvent; skipped', { topic, partition: batch.partition, offset, error: String(error) });
          scheduleCommit();
          continue;
        }
        const only = recordHeader(message.headers, TRIGGER_HEADER);
        if ((only && only !== trigger.name) || (!only && !matchesTrigger(trigger, record.attributes))) {
          scheduleCommit();
          continue;
        }
        const acceptId = recordHeader(message.headers, ACCEPT_HEADER) ?? randomUUID();
        lane.open.add(offset);
        const tracedHere = recordHeader(message.headers, RUN_HEADER) === runId;
        void deliver(c, record, acceptId, tracedHere, lane, offset)
          .catch((error: unknown) => {
            log.error('delivery failed', { trigger: trigger.name, eventId: record.attributes.id, error: String(error) });
            return false;
          })
          .then((ended) => {
            // An ended delivery frees its offset; one cut short by a stop keeps it uncommitted.
            if (!ended) return;
            lane.open.delete(offset);
            lane.freed?.();
            scheduleCommit();
          });
      }
    };

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: options.topicSpec.partitions, eachBatch });
    return c;
  };

  const highWatermarks = async (): Promise<Map<number, number>> => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
  };

  return {
    triggers,
    accept: (event) => produce(event, triggers.filter((t) => matchesTrigger(t, event))),
    redeliver: (event, trigger) => produce(event, [trigger], trigger.name),
    events: async (q) => {
      await trace.flush();
      return listEvents(pool, q, TRACE);
    },
    start: () => {
      if (running) return;
      running = true;
      stopping = new AbortController();
      started = Promise.all(
        triggers.map((t) =>
          startConsumer(t).then(
            (c) => {
              consumers.push(c);
            },
            (error: unknown) => log.error('trigger consumer did not start', { trigger: t.name, error: String(error) }),
          ),
        ),
      ).then(() => undefined);
    },
    stop: async () => {
      const wasRunning = running;
      running = false;
      stopping.abort();
      if (wasRunning) {
        await started;
        // Deliveries see the stop at once; what ended is committed, the rest is delivered next time.
        for (const c of consumers) for (const lane of c.lanes.values()) lane.freed?.();
        await new Promise((r) => setTimeout(r, 50));
        await Promise.all(consumers.map((c) => c.commit()));
        await Promise.all(consumers.map((c) => c.consumer.disconnect().catch(() => undefined)));
        consumers.length = 0;
      }
      while (sending) await new Promise((r) => setTimeout(r, 10));
      await trace.flush();
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
    idle: async (timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      await started;
      while (Date.now() < deadline) {
        const settled = !sending && queue.length === 0;
        let caughtUp = settled;
        if (settled && running) {
          const high = await highWatermarks();
          for (const c of consumers) {
            let committed: Map<number, number> | undefined;
            for (const [partition, end] of high) {
              const lane = c.lanes.get(partition);
              if (lane) {
                // Deliveries waiting out a backoff of more than a second do not count, as in the embedded broker.
                const busy = [...lane.open].some((o) => !lane.resting.has(o));
                if (busy || (lane.next < end && lane.resting.size === 0)) caughtUp = false;
                else if (lane.committed < commitPointOf(lane)) {
                  // Caught up but not yet committed: commit now rather than at the next interval.
                  await c.commit();
                  if (lane.committed < commitPointOf(lane)) caughtUp = false;
                }
              } else if (end > 0) {
                committed ??= new Map(
                  (await admin.fetchOffsets({ groupId: c.groupId, topics: [topic] })).flatMap((t) => t.partitions.map((p) => [p.partition, Number(p.offset)] as const)),
                );
                if ((committed.get(partition) ?? -1) < end) caughtUp = false;
              }
              if (!caughtUp) break;
            }
            if (!caughtUp) break;
          }
        }
        if (caughtUp) {
          await trace.flush();
          if (!trace.pending()) return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the broker did not settle in time');
    },
  };
};
