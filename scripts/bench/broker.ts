// npm run bench -- broker: event delivery through the local platform's embedded broker.
//
// The platform (scripts/bench/broker-platform.ts: the registry, the Triggers of knative/base, plus
// the no-op handler platform-bench-noop and its Trigger) runs in a child process; this process
// publishes BENCH_EVENTS (500) events of com.gotuto.bench.pinged.v1 to its POST /broker in
// CloudEvents binary mode, BENCH_BROKER_CONCURRENCY (10) requests in flight on keep-alive
// connections, each event carrying its send time. The handler keeps receive minus send time for
// each event: ingress to handler, i.e. the 202 of the ingress, the broker's store, claim and
// delivery over HTTP, validation and the handler's inbox transaction. Figures: events/s = events
// handled / (first send to last handled), and p50/p95/p99 of that latency. BENCH_BROKER_WARMUP (50)
// events first, not counted.
// Baseline: a bare node:http server (scripts/bench/fixtures/http-sink.cjs) receiving the same
// POSTs (same bodies, same headers, same concurrency), send to receive.
// The platform runs on embedded PostgreSQL (a temporary data directory, DATABASE_URL unset), and,
// when the caller passes one, on a database of a PostgreSQL server. Every step is bounded:
// BENCH_BROKER_TIMEOUT (120) s to publish, then as long again for the deliveries.
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toBinaryHttp, type ReceivedEvent } from '../../events/index.js';
import { BENCH_SOURCE, benchPinged, monotonicMs, type BenchPing, type FromReceiver, type ToReceiver } from './broker-event.js';
import { cpuMeter, kafkaPids, postgresPids, type ProcessGroups } from './cpu.js';
import { publisherTokenFile } from '../../local/identity.js';
import type { BenchKafka } from './kafka.js';
import { startProcess, temporaryDir, type Child } from './processes.js';

export interface BrokerSettings {
  events: number;
  concurrency: number;
  warmup: number;
  timeoutMs: number;
}

export interface DeliveryFigures {
  label: string;
  sent: number;
  /** Answered 202 by the ingress (the baseline answers 202 as well). */
  accepted: number;
  handled: number;
  eventsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The 202 of the ingress, seen by the sender: p50 and p99 (ms). */
  ingressP50Ms: number;
  ingressP99Ms: number;
  /** First send to last handled (ms). */
  spanMs: number;
  /** Spawn to ready (ms): platform start with migrations. */
  readyMs: number;
  /** CPU time per event handled (ms) of the sender, the broker, the subscriber, Kafka and PostgreSQL. */
  cpuMsPerEvent?: Record<string, number>;
  failure?: string;
}

export interface Context {
  root: string;
  logs: string;
  settings: BrokerSettings;
  log(message: string): void;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

// ---- the receivers (child processes with an IPC channel) -----------------------------------------

type Reply<T extends FromReceiver['type']> = Extract<FromReceiver, { type: T }>;

const nextMessage = <T extends FromReceiver['type']>(child: Child, type: T, timeoutMs: number): Promise<Reply<T>> =>
  new Promise((resolve, reject) => {
    const onMessage = (message: FromReceiver) => {
      if (message?.type !== type) return;
      done();
      resolve(message as Reply<T>);
    };
    const onExit = () => {
      done();
      reject(new Error(`receiver ${child.pid} exited before answering "${type}":\n${child.output()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`receiver ${child.pid} did not answer "${type}" within ${timeoutMs} ms:\n${child.output()}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.proc.off('message', onMessage);
      child.proc.off('exit', onExit);
    };
    child.proc.on('message', onMessage);
    child.proc.once('exit', onExit);
  });

export const ask = <T extends FromReceiver['type']>(child: Child, message: ToReceiver, reply: T, timeoutMs = 10_000): Promise<Reply<T>> => {
  const answer = nextMessage(child, reply, timeoutMs);
  child.proc.send(message);
  return answer;
};

export interface Receiver {
  child: Child;
  url: string;
  readyMs: number;
  stop(): Promise<void>;
}

export const startReceiver = async (
  root: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  cleanup: () => void = () => undefined,
): Promise<Receiver> => {
  const started = performance.now();
  // cwd: the platform reads its Triggers from knative/base there.
  const child = startProcess(process.execPath, args, { cwd: root, env, logFile, ipc: true });
  const stop = async () => {
    await child.stop(15_000);
    cleanup();
  };
  try {
    const ready = await nextMessage(child, 'ready', 120_000);
    return { child, url: ready.url, readyMs: performance.now() - started, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};

/** The environment of a receiver: nothing of this shell's PostgreSQL or broker settings leaks in. */
export const receiverEnv = (databaseUrl?: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', JWT_SECRET: randomBytes(32).toString('base64url') };
  for (const name of Object.keys(env)) if (name === 'DATABASE_URL' || name.endsWith('_DATABASE_URL')) delete env[name];
  delete env.K_SINK;
  delete env.KAFKA_BROKERS;
  delete env.PORT;
  delete env.GOTUTO_DATA_DIR;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return env;
};

// The sender and its figures serve Knative's data plane too (scripts/bench/knative.ts).
export { measure };

// ---- the sender ----------------------------------------------------------------------------------

interface Published {
  firstSentAt: number;
  sent: number;
  accepted: number;
  ingressMs: number[];
  failure?: string;
}

const post = (agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });

/** Publishes `count` events, `concurrency` in flight, each stamped with its send time. */
const publish = async (
  base: string,
  count: number,
  concurrency: number,
  firstSeq: number,
  deadline: number,
  extraHeaders: Record<string, string>,
): Promise<Published> => {
  const url = new URL('/broker', base);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const out: Published = { firstSentAt: Infinity, sent: 0, accepted: 0, ingressMs: [] };
  let next = 0;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const seq = firstSeq + next++;
      const sentAt = monotonicMs();
      out.firstSentAt = Math.min(out.firstSentAt, sentAt);
      const event: ReceivedEvent<BenchPing> = {
        id: randomUUID(),
        type: benchPinged.type,
        source: BENCH_SOURCE,
        subject: `ping-${seq}`,
        time: new Date().toISOString(),
        dataschema: benchPinged.dataschema,
        data: { seq, sentAt },
      };
      const { headers, body } = toBinaryHttp(event);
      out.sent += 1;
      try {
        const answer = await post(agent, url, { ...headers, ...extraHeaders }, body);
        out.ingressMs.push(monotonicMs() - sentAt);
        if (answer.status === 202) out.accepted += 1;
        else out.failure ??= `POST /broker answered ${answer.status}: ${answer.body.slice(0, 300)}`;
      } catch (error) {
        out.failure ??= `POST /broker failed: ${(error as Error).message}`;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  if (out.sent < count) out.failure ??= `only ${out.sent} of ${count} events sent in time`;
  return out;
};

/** Waits until the receiver counted `expected` events (or the deadline), then takes its figures. */
const collect = async (receiver: Receiver, expected: number, deadline: number) => {
  for (;;) {
    const { count } = await ask(receiver.child, { type: 'count' }, 'count');
    if (count >= expected || performance.now() > deadline) break;
    await sleep(20);
  }
  return ask(receiver.child, { type: 'take' }, 'samples');
};

/**
 * Publishes to `ingressUrl` (default: the receiver's own URL) and reads the figures the receiver
 * kept; with `processes`, also the CPU time each of them spent per event. `headers` go with every
 * POST (the platform's ingress wants a publisher token).
 */
const measure = async (
  label: string,
  receiver: Receiver,
  ctx: Context,
  ingressUrl = receiver.url,
  processes?: ProcessGroups,
  headers: Record<string, string> = {},
): Promise<DeliveryFigures> => {
  const { settings, log } = ctx;
  if (settings.warmup > 0) {
    const warm = await publish(ingressUrl, settings.warmup, settings.concurrency, 0, performance.now() + settings.timeoutMs, headers);
    await collect(receiver, warm.accepted, performance.now() + settings.timeoutMs);
  }
  const meter = processes ? cpuMeter(processes) : undefined;
  const published = await publish(ingressUrl, settings.events, settings.concurrency, settings.warmup, performance.now() + settings.timeoutMs, headers);
  const samples = await collect(receiver, published.accepted, performance.now() + settings.timeoutMs);
  const cpu = meter?.stop();
  const sorted = [...samples.latenciesMs].sort((a, b) => a - b);
  const ingress = [...published.ingressMs].sort((a, b) => a - b);
  const handled = sorted.length;
  const spanMs = handled > 0 ? samples.lastAt - published.firstSentAt : NaN;
  const figures: DeliveryFigures = {
    label,
    sent: published.sent,
    accepted: published.accepted,
    handled,
    eventsPerSecond: round(handled / (spanMs / 1000), 0),
    p50Ms: round(percentile(sorted, 50), 2),
    p95Ms: round(percentile(sorted, 95), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(sorted.at(-1) ?? NaN, 2),
    ingressP50Ms: round(percentile(ingress, 50), 2),
    ingressP99Ms: round(percentile(ingress, 99), 2),
    spanMs: round(spanMs, 1),
    readyMs: round(receiver.readyMs, 0),
  };
  if (cpu && handled > 0) figures.cpuMsPerEvent = Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, round(ms / handled, 3)]));
  if (published.failure) figures.failure = published.failure;
  if (handled < settings.events) figures.failure = `${handled} of ${settings.events} events handled in time${figures.failure ? `; ${figures.failure}` : ''}`;
  const cpuText = figures.cpuMsPerEvent
    ? `; CPU ms per event: ${Object.entries(figures.cpuMsPerEvent)
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', ')}`
    : '';
  log(
    `${label}: ${figures.eventsPerSecond} events/s, p50 ${figures.p50Ms} ms, p95 ${figures.p95Ms} ms, p99 ${figures.p99Ms} ms` +
      ` (${handled}/${settings.events} handled, ingress 202 p50 ${figures.ingressP50Ms} ms)${cpuText}${figures.failure ? `; ${figures.failure}` : ''}`,
  );
  return figures;
};

// ---- the scenario --------------------------------------------------------------------------------

interface RunOptions {
  databaseUrl?: string;
  /** The broker on Kafka (a topic of its own), else the embedded one. */
  kafka?: BenchKafka;
  /** Deliver to this receiver (a bare node:http server) instead of the no-op handler. */
  sink?: Receiver;
  /** Only the benchmark's Trigger, none of knative/base. */
  benchTriggerOnly?: boolean;
  settings?: BrokerSettings;
}

export const platformRun = async (label: string, name: string, ctx: Context, run: RunOptions = {}): Promise<DeliveryFigures> => {
  const dataDir = temporaryDir('gotuto-bench-broker-');
  const kafkaEnv = run.kafka?.env();
  ctx.log(`${label}: starting the platform (data in ${dataDir.path}${kafkaEnv ? `, topic ${kafkaEnv.KAFKA_BROKER_TOPIC}` : ''})`);
  const args = ['--import', 'tsx', join(ctx.root, 'scripts', 'bench', 'broker-platform.ts'), '--data-dir', dataDir.path];
  if (run.sink) args.push('--subscriber', run.sink.url);
  if (run.benchTriggerOnly) args.push('--bench-trigger-only');
  if (run.kafka) args.push('--partitions', String(run.kafka.partitions));
  const platform = await startReceiver(ctx.root, args, { ...receiverEnv(run.databaseUrl), ...kafkaEnv }, join(ctx.logs, `broker-${name}.log`), dataDir.remove);
  try {
    ctx.log(`${label}: ready in ${round(platform.readyMs / 1000, 1)} s at ${platform.url}`);
    const processes: ProcessGroups = {
      broker: () => [platform.child.pid],
      subscriber: () => (run.sink ? [run.sink.child.pid] : []),
      kafka: kafkaPids,
      postgres: postgresPids,
    };
    // The platform's ingress admits its publishers only: the token it writes for its functions.
    const token = readFileSync(publisherTokenFile(dataDir.path), 'utf8');
    const settings = run.settings ? { ...ctx, settings: run.settings } : ctx;
    return await measure(label, run.sink ?? platform, settings, platform.url, processes, { authorization: `Bearer ${token}` });
  } finally {
    await platform.stop();
    if (kafkaEnv) await run.kafka?.drop(kafkaEnv.KAFKA_BROKER_TOPIC);
  }
};

/** A bare node:http receiver of deliveries, for as long as `work` runs. */
export const withSink = async <T>(ctx: Context, name: string, work: (sink: Receiver) => Promise<T>): Promise<T> => {
  const sink = await startReceiver(ctx.root, [join(ctx.root, 'scripts', 'bench', 'fixtures', 'http-sink.cjs')], receiverEnv(), join(ctx.logs, `${name}.log`));
  try {
    return await work(sink);
  } finally {
    await sink.stop();
  }
};

/** The bare kafkajs pipeline (scripts/bench/fixtures/kafka-pipe.cjs) to a bare node:http subscriber. */
export const pipeRun = (ctx: Context, kafka: BenchKafka): Promise<DeliveryFigures> =>
  withSink(ctx, 'broker-pipe-sink', async (sink) => {
    const env = { ...receiverEnv(), ...kafka.env(), SUBSCRIBER_URL: sink.url };
    const pipe = await startReceiver(
      ctx.root,
      [join(ctx.root, 'scripts', 'bench', 'fixtures', 'kafka-pipe.cjs'), '--partitions', String(kafka.partitions)],
      env,
      join(ctx.logs, 'broker-kafka-pipe.log'),
    );
    try {
      const processes: ProcessGroups = { broker: () => [pipe.child.pid], subscriber: () => [sink.child.pid], kafka: kafkaPids, postgres: postgresPids };
      return await measure('bare kafkajs pipe to node:http', sink, { ...ctx, settings: kafka.settings }, pipe.url, processes);
    } finally {
      await pipe.stop();
      await kafka.drop(env.KAFKA_BROKER_TOPIC);
    }
  });

export interface BrokerResult {
  settings: BrokerSettings;
  baseline: DeliveryFigures;
  embedded: DeliveryFigures;
  postgres?: DeliveryFigures & { version: string };
  /** Kafka beside the embedded broker, on the same database: to a bare subscriber, and to a no-op function. */
  kafka?: {
    database: string;
    /** Of the runs to the bare subscriber (one Trigger). */
    sinkSettings: BrokerSettings;
    toSink: DeliveryFigures;
    embeddedToSink: DeliveryFigures;
    /** Bare kafkajs + node:http (scripts/bench/fixtures/kafka-pipe.cjs): the floor of a broker on kafkajs here. */
    pipeToSink: DeliveryFigures;
    /** The sender straight to the bare subscriber, with the same settings: no broker at all. */
    directToSink: DeliveryFigures;
    toFunction: DeliveryFigures;
    embeddedToFunction: DeliveryFigures;
  };
}

/**
 * The baseline, the platform on embedded PostgreSQL, and on `postgres` when given; with `kafka`, the
 * broker on Kafka and the embedded one side by side (on `postgres` when given), to a bare
 * node:http subscriber (the broker's own figure) and to a no-op function.
 */
export const brokerScenario = async (ctx: Context, postgres?: { url: string; version: string }, kafka?: BenchKafka): Promise<BrokerResult> => {
  const baseline = await withSink(ctx, 'broker-http-sink', (sink) => measure('bare node:http', sink, ctx));
  const embedded = await platformRun('platform, embedded PostgreSQL', 'embedded', ctx);
  const result: BrokerResult = { settings: ctx.settings, baseline, embedded };
  if (postgres) {
    result.postgres = {
      ...(await platformRun(`platform, PostgreSQL ${postgres.version}`, 'postgres', ctx, { databaseUrl: postgres.url })),
      version: postgres.version,
    };
  }
  if (kafka) {
    const databaseUrl = postgres?.url;
    const database = postgres ? `PostgreSQL ${postgres.version.split(' ')[0]}` : 'embedded PG';
    // The broker's own figure: one Trigger, to a bare subscriber, with more events and more in flight.
    const own = { databaseUrl, benchTriggerOnly: true, settings: kafka.settings };
    const toSink = await withSink(ctx, 'broker-kafka-sink', (sink) =>
      platformRun(`Kafka broker to node:http, ${database}`, 'kafka-sink', ctx, { ...own, kafka, sink }),
    );
    const embeddedToSink = await withSink(ctx, 'broker-embedded-sink', (sink) =>
      platformRun(`embedded broker to node:http, ${database}`, 'embedded-sink', ctx, { ...own, sink }),
    );
    const pipeToSink = await pipeRun(ctx, kafka);
    const directToSink = await withSink(ctx, 'broker-direct-sink', (sink) =>
      measure('sender straight to node:http', sink, { ...ctx, settings: kafka.settings }, sink.url, { subscriber: () => [sink.child.pid] }),
    );
    const toFunction = await platformRun(`Kafka broker to no-op function, ${database}`, 'kafka-function', ctx, { databaseUrl, kafka });
    const embeddedToFunction = postgres ? (result.postgres as DeliveryFigures) : embedded;
    result.kafka = { database, sinkSettings: kafka.settings, toSink, embeddedToSink, pipeToSink, directToSink, toFunction, embeddedToFunction };
  }
  return result;
};
