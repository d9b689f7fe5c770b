// npm run bench -- knative: Knative's own Kafka broker data plane (scripts/bench/knative-data-plane.ts),
// beside the local platform's broker on Kafka, in one run. Needs KNATIVE_DATA_PLANE_DIR, Java 21+ and
// Kafka; prints "skipped: <why>" otherwise.
//   throughput  BENCH_KAFKA_EVENTS (3000) binary events, BENCH_KAFKA_CONCURRENCY (50) in flight, one
//               Trigger, BENCH_KAFKA_PARTITIONS (10) partitions, to a bare node:http subscriber
//               (fixtures/http-sink.cjs), after a warm-up batch (2000 events at least: the JVMs
//               compile their hot paths over the first thousands), through Knative's receiver and
//               dispatcher: events/s, latency and CPU ms per event of each process. The settings and
//               the sender of `npm run bench -- broker`'s Kafka case: `npm run bench -- broker knative`
//               puts our broker beside it in one run.
//   saga        the functions on the local platform (scripts/bench/knative-platform.ts) with
//               Knative's dispatcher delivering, from a contract made of an overlay's Triggers
//               (scripts/bench/knative-saga.ts): BENCH_KNATIVE_ORDERS (20) orders one after the
//               other, checkout to confirmed p50/p95, and the time per hop of each Trigger.
import { join } from 'node:path';
import { benchPinged } from './broker-event.js';
import { measure, receiverEnv, startReceiver, type DeliveryFigures } from './broker.js';
import { kafkaPids } from './cpu.js';
import { contractFor, createBrokerTopic, findDataPlane, startDataPlane, type DataPlaneBuild } from './knative-data-plane.js';
import { knativeSagaScenario, type KnativeSagaResult } from './knative-saga.js';
import type { BenchKafka } from './kafka.js';

export interface KnativeContext {
  root: string;
  logs: string;
  log(message: string): void;
  /** The database server of the saga (DATABASE_URL), else embedded PostgreSQL. */
  adminUrl?: string;
}

export interface KnativeResult {
  skipped?: string;
  partitions?: number;
  throughput?: DeliveryFigures;
  saga?: KnativeSagaResult;
}

const JVM_WARMUP_EVENTS = 2000;

const partitions = () => {
  const n = Number(process.env.BENCH_KAFKA_PARTITIONS ?? 10);
  if (!Number.isInteger(n) || n < 1) throw new Error('BENCH_KAFKA_PARTITIONS must be a positive integer');
  return n;
};

/** Knative's receiver and dispatcher to a bare node:http subscriber, one Trigger, `count` partitions. */
export const knativeThroughput = async (ctx: KnativeContext, build: DataPlaneBuild, kafka: BenchKafka, count: number): Promise<DeliveryFigures> => {
  const topic = kafka.env().KAFKA_BROKER_TOPIC;
  const made = await createBrokerTopic(kafka.brokers, topic, count);
  const sink = await startReceiver(
    ctx.root,
    [join(ctx.root, 'scripts', 'bench', 'fixtures', 'http-sink.cjs')],
    receiverEnv(),
    join(ctx.logs, 'knative-sink.log'),
  );
  try {
    const contract = contractFor({
      // The bench's sender posts to /broker, the path of our ingress.
      broker: { namespace: 'gotuto', name: 'gotuto', path: '/broker', topic, bootstrapServers: kafka.brokers },
      triggers: [
        {
          name: 'platform-bench-noop',
          attributes: { type: benchPinged.type },
          subscriber: { uri: sink.url },
          delivery: { retry: 3, backoffPolicy: 'exponential', backoffDelayMs: 200, timeoutMs: 10_000 },
          ordered: false,
        },
      ],
      destination: () => sink.url,
      deadLetter: () => undefined,
    });
    const plane = await startDataPlane({ build, contract, logDir: join(ctx.logs, 'knative-throughput') });
    try {
      const base = new URL(plane.ingressUrl).origin;
      const processes = {
        receiver: () => [plane.receiver.pid],
        dispatcher: () => [plane.dispatcher.pid],
        subscriber: () => [sink.child.pid],
        kafka: kafkaPids,
      };
      // The JVMs compile their hot paths over the first thousands of events: warm means past that.
      const settings = { ...kafka.settings, warmup: Math.max(kafka.settings.warmup, JVM_WARMUP_EVENTS) };
      return await measure("Knative's data plane to node:http", sink, { ...ctx, settings }, base, processes);
    } finally {
      await plane.stop();
    }
  } finally {
    await sink.stop();
    await made.drop();
  }
};

const fmt = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : String(n));

const summary = (r: KnativeResult): string[] => {
  const lines: string[] = [];
  const k = r.throughput;
  if (k) {
    const cpu = (k.cpuMsPerEvent?.receiver ?? 0) + (k.cpuMsPerEvent?.dispatcher ?? 0);
    lines.push(
      `knative: ${k.handled}/${k.sent} events, ${r.partitions} partitions, to node:http: ${fmt(k.eventsPerSecond)} events/s, p50 ${fmt(k.p50Ms)} ms, ` +
        `p95 ${fmt(k.p95Ms)} ms; receiver + dispatcher ${cpu.toFixed(3)} CPU ms per event`,
    );
  }
  for (const v of r.saga?.variants ?? []) {
    lines.push(`knative saga, ${v.label}: checkout to confirmed p50 ${fmt(v.p50Ms)} ms, p95 ${fmt(v.p95Ms)} ms (${v.confirmed}/${v.orders} confirmed)`);
    for (const h of v.hops)
      lines.push(
        `  ${h.trigger} (${h.ordered ? 'ordered' : 'unordered'}): ${h.count} deliveries, hop p50 ${fmt(h.p50Ms)} ms, p95 ${fmt(h.p95Ms)} ms, ${h.retries} retries`,
      );
  }
  return lines;
};

/** The scenario; `kafka` undefined (BENCH_KAFKA=off) or no build: skipped, with the reason. */
export const knativeScenario = async (ctx: KnativeContext, kafka: BenchKafka | undefined): Promise<KnativeResult> => {
  const build = findDataPlane();
  const skipped = 'skipped' in build ? build.skipped : kafka ? undefined : 'Kafka is off (BENCH_KAFKA=off)';
  if (skipped || 'skipped' in build || !kafka) {
    ctx.log(`knative: skipped: ${skipped}`);
    return { skipped };
  }
  const count = partitions();
  const result: KnativeResult = { partitions: count };
  result.throughput = await knativeThroughput(ctx, build, kafka, count);
  result.saga = await knativeSagaScenario(ctx, build, kafka);
  for (const line of summary(result)) ctx.log(line);
  return result;
};
