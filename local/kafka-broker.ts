// The local broker backed by Kafka (KAFKA_BROKERS), built the way Knative's Kafka broker works: the
// ingress answers 202 only once Kafka has the event (503 when Kafka does not take it in time: the
// publisher keeps the event in its outbox); every Trigger reads the topic through its own consumer
// group (kafka-log.ts) and the delivery engine (engine.ts) delivers what its filter matches, waiting
// out a retry's backoff in the process; the offset moves on only once the delivery ended.
// PostgreSQL keeps a trace of what was accepted and how each delivery ended (kafka-trace.ts). A
// crash may cut the last moments of the trace short, never an event: a record whose acceptance
// another run of the broker traced (or failed to) is traced again as its delivery starts.
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { recordHeader, type ReceivedEvent } from '../events/index.js';
import { idempotentProducer, kafkaClient, transactionalProducer } from '../functions/runtime/kafka.js';
import type { Logger } from '../functions/runtime/log.js';
import { eventTraceHeaders } from '../functions/runtime/telemetry.js';
import type { Broker, BrokerOptions } from './broker.js';
import { createEngine, sleep, type Engine, type Outgoing } from './engine.js';
import {
  commitPointOf,
  consumerGroupOf,
  ensureTopics,
  recordOutgoing,
  startTriggerConsumer,
  type Lane,
  type RecordOf,
  type TriggerConsumer,
} from './kafka-log.js';
import { createIngress, lazy, type Produced } from './kafka-ingress.js';
import { createTrace, type Trace, type TracedDelivery } from './kafka-trace.js';
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
/** Not a CloudEvents attribute: the acceptance the trace rows of this record belong to. */
const ACCEPT_HEADER = 'gotuto-accept-id';
/** Not a CloudEvents attribute: the run of the broker that accepted the record (and traces it). */
const RUN_HEADER = 'gotuto-broker-run';

const subscriberOf = (t: TriggerSpec) => t.subscriber.service ?? t.subscriber.uri ?? '';

/** Whether every consumer has ended and committed what the topic holds (a long backoff does not count). */
const caughtUp = async (admin: Admin, topic: string, consumers: TriggerConsumer[]): Promise<boolean> => {
  const high = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  for (const c of consumers) {
    let committed: Map<number, number> | undefined;
    for (const [partition, end] of high) {
      const lane = c.lanes.get(partition);
      if (lane) {
        const busy = [...lane.open].some((o) => !lane.resting.has(o));
        if (busy || (lane.next < end && lane.resting.size === 0)) return false;
        if (lane.committed < commitPointOf(lane)) {
          // Caught up but not yet committed: commit now rather than at the next interval.
          await c.commit();
          if (lane.committed < commitPointOf(lane)) return false;
        }
      } else if (end > 0) {
        committed ??= new Map(
          (await admin.fetchOffsets({ groupId: c.groupId, topics: [topic] })).flatMap((t) => t.partitions.map((p) => [p.partition, Number(p.offset)] as const)),
        );
        if ((committed.get(partition) ?? -1) < end) return false;
      }
    }
  }
  return true;
};

/** The Kafka client, its admin with the broker topic made, and the connected idempotent producer. */
const connect = async (topic: string, spec: TopicSpec, log: Logger) => {
  const kafka: Kafka = kafkaClient('gotuto-broker');
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    if ((await ensureTopics(admin, [topic], spec)).length > 0) log.info('broker topic created', { topic, ...spec });
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    throw new Error(`Kafka at ${process.env.KAFKA_BROKERS} did not give the broker its topic ${topic}: ${(error as Error).message}`);
  }
  const producer: Producer = idempotentProducer(kafka);
  await producer.connect();
  return { kafka, admin, producer };
};

/** What the deliveries of one run of the broker share. */
interface Run {
  engine: Engine;
  trace: Trace;
  runId: string;
  topic: string;
  log: Logger;
  running(): boolean;
  signal(): AbortSignal;
}

/** Delivers one record to one Trigger until the delivery ends (true) or the broker stops (false). */
const deliver = async (run: Run, trigger: TriggerSpec, record: Outgoing, acceptId: string, lane: Lane, offset: number): Promise<boolean> => {
  const traced = (state: TracedDelivery['state'], attempts: number, status: number | null, error: string | null) =>
    run.trace.delivery({ acceptId, trigger: trigger.name, subscriber: subscriberOf(trigger), state, attempts, status, error });
  for (let n = 1; run.running(); n++) {
    const attempt = await run.engine.attempt(trigger, record, n, run.signal());
    if (attempt.state === 'stopped') return false;
    if (attempt.state === 'delivered') {
      traced('delivered', n, attempt.status, null);
      return true;
    }
    traced(attempt.state === 'retry' ? 'pending' : 'dead', n, attempt.status, attempt.error);
    if (attempt.state === 'dead') return true;
    if (attempt.delayMs > 1000) lane.resting.add(offset);
    await sleep(attempt.delayMs, run.signal());
    lane.resting.delete(offset);
  }
  return false;
};

/** What a Trigger does with a record of the topic: skips what its filter does not match, else delivers it. */
const takeFor =
  (run: Run, trigger: TriggerSpec) =>
  async (message: RecordOf, lane: Lane, offset: number): Promise<boolean> => {
    let record: Outgoing;
    try {
      record = recordOutgoing(message);
    } catch (error) {
      run.log.error('a record of the broker topic is not a CloudEvent; skipped', { topic: run.topic, offset, error: String(error) });
      return true;
    }
    if (!matchesTrigger(trigger, record.attributes)) return true;
    const acceptId = recordHeader(message.headers, ACCEPT_HEADER) ?? randomUUID();
    // An event another run accepted may be missing from the trace (a crash before its batch was
    // written): traced before it is delivered (the trace ignores a repeat), so it shows as pending.
    if (recordHeader(message.headers, RUN_HEADER) !== run.runId) {
      try {
        run.trace.accepted([{ acceptId, event: record.whole(), deliveries: [{ trigger: trigger.name, subscriber: subscriberOf(trigger) }] }]);
      } catch {
        // Not a whole CloudEvent: delivered as it came, untraced.
      }
    }
    return deliver(run, trigger, record, acceptId, lane, offset);
  };

/** Stops the consumers: what ended is committed, the rest is delivered next time. */
const stopConsumers = async (consumers: TriggerConsumer[]) => {
  for (const c of consumers) for (const lane of c.lanes.values()) lane.freed?.();
  await new Promise((r) => setTimeout(r, 50));
  await Promise.all(consumers.map((c) => c.commit()));
  await Promise.all(consumers.map((c) => c.consumer.disconnect().catch(() => undefined)));
  consumers.length = 0;
};

export const createKafkaBroker = async (options: KafkaBrokerOptions): Promise<Broker> => {
  const { pool, log, topic, triggers } = options;
  const ingressTimeoutMs = options.ingressTimeoutMs ?? Number(process.env.BROKER_INGRESS_TIMEOUT_MS ?? 5000);
  const commitIntervalMs = options.commitIntervalMs ?? Number(process.env.BROKER_COMMIT_INTERVAL_MS ?? 1000);
  const { kafka, admin, producer } = await connect(topic, options.topicSpec, log);
  const trace = createTrace(pool, topic, log);
  const runId = randomUUID();
  // Made on the first batch: a platform that never takes one never opens a transaction.
  const batchProducer = lazy(
    async () => {
      const made = transactionalProducer(kafka, `${topic}.ingress.${runId}`);
      await made.connect();
      return made;
    },
    (made) => made.disconnect(),
  );
  const ingress = createIngress(producer, batchProducer, topic, ingressTimeoutMs);

  /** Writes events to the topic, all or none, each for `targets(event)`; traced once Kafka has them. */
  const produce = async (events: ReceivedEvent<unknown>[], targets: (e: ReceivedEvent<unknown>) => TriggerSpec[]) => {
    // The trace rides in the record headers too, as Knative's Kafka broker keeps it.
    const entries = events.map((event): Produced => ({ event, headers: { [ACCEPT_HEADER]: randomUUID(), [RUN_HEADER]: runId, ...eventTraceHeaders(event) } }));
    await ingress.produce(entries);
    trace.accepted(
      entries.map(({ event, headers }) => ({
        acceptId: headers[ACCEPT_HEADER] as string,
        event,
        deliveries: targets(event).map((t) => ({ trigger: t.name, subscriber: subscriberOf(t) })),
      })),
    );
  };
  const accept = (events: ReceivedEvent<unknown>[]) => produce(events, (event) => triggers.filter((t) => matchesTrigger(t, event)));

  let running = false;
  let stopping = new AbortController();
  const consumers: TriggerConsumer[] = [];
  let started: Promise<void> | undefined;
  const run: Run = {
    engine: createEngine({ resolve: options.resolve, accept, log, headersFor: options.headersFor }),
    trace,
    runId,
    topic,
    log,
    running: () => running,
    signal: () => stopping.signal,
  };
  const startConsumer = (trigger: TriggerSpec) =>
    startTriggerConsumer({
      kafka,
      topic,
      log,
      commitIntervalMs,
      groupId: consumerGroupOf(topic, trigger.name),
      partitions: options.topicSpec.partitions,
      limit: trigger.ordered ? 1 : (options.unorderedInFlight ?? 100),
      running: () => running,
      take: takeFor(run, trigger),
    }).then(
      (c) => void consumers.push(c),
      (error: unknown) => log.error('trigger consumer did not start', { trigger: trigger.name, error: String(error) }),
    );

  return {
    triggers,
    accept: (...events) => accept(events),
    flush: () => trace.flush(),
    start: () => {
      if (running) return;
      running = true;
      stopping = new AbortController();
      started = Promise.all(triggers.map(startConsumer)).then(() => undefined);
    },
    stop: async () => {
      const wasRunning = running;
      running = false;
      // Deliveries see the stop at once.
      stopping.abort();
      if (wasRunning) await started?.then(() => stopConsumers(consumers));
      while (ingress.busy()) await new Promise((r) => setTimeout(r, 10));
      await trace.flush();
      await producer.disconnect().catch(() => undefined);
      await batchProducer.close();
      await admin.disconnect().catch(() => undefined);
    },
    idle: async (timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      await started;
      while (Date.now() < deadline) {
        if (!ingress.busy() && (!running || (await caughtUp(admin, topic, consumers)))) {
          await trace.flush();
          if (!trace.pending()) return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the broker did not settle in time');
    },
  };
};
