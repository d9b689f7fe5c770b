// npm run bench [-- cold warm pool memory telemetry startup broker saga start pglite cold-chain knative cold-profile]
//
// Measures one deployed function (the dist/ bundle of billing-create-invoice, as its container runs
// it) against baselines, on a real PostgreSQL (DATABASE_URL; cold, warm and memory need it):
//   cold start  spawn to first HTTP answer, median of BENCH_COLD_RUNS (7), vs the
//               functions-framework hello world started with the framework's CLI;
//   warm        POST /billing/invoices, BENCH_CONNECTIONS (50) connections for BENCH_DURATION (10) s,
//               vs the same transaction in (a) a bare functions-framework function and (b) a bare
//               node:http server (scripts/bench/fixtures/), each started once, BENCH_WARM_RUNS (3)
//               runs alternating between them, with what explains each run (scripts/bench/warm.ts);
//   pool        the same command for each PG_POOL_MAX (2, 4, 10, 20) x requests in flight (10, 50, 100),
//               straight to PostgreSQL and through PgBouncer when on PATH (scripts/bench/pool.ts);
//   memory      RSS of an idle process that has answered one request, vs the hello world.
// and the local platform of `npm start`:
//   broker      BENCH_EVENTS (500) events through POST /broker to a no-op handler, BENCH_BROKER_CONCURRENCY
//               (10) in flight: events/s and ingress-to-handler p50/p95/p99, vs a bare node:http
//               server receiving the same POSTs; on embedded PostgreSQL, and also on a database of
//               DATABASE_URL's server when it is set (scripts/bench/broker.ts); then the broker on
//               Kafka beside the embedded one, to a bare node:http subscriber (the broker's own
//               figure; target >= 2000 events/s) and to a no-op function, with the CPU time per
//               event of each process (sender, broker, subscriber, Kafka, PostgreSQL; from /proc)
//               and the sender straight to the subscriber with the same settings (scripts/bench/cpu.ts);
//   startup     an event handler's bundle with delivery token checks beside the same without them
//               (DELIVERY_AUTH=network-policy): cold start to its first delivery, CPU per delivery
//               (scripts/bench/delivery-auth.ts);
//   start       `npm start` to /healthz 200 (s), empty data directory then the same one again,
//               embedded PostgreSQL, median of BENCH_START_RUNS (3) (scripts/bench/startup.ts).
//   saga        the order saga through HTTP and the broker of the platform (scripts/bench/saga.ts):
//               BENCH_SAGA_ORDERS (200) sequential orders, checkout-to-confirmed p50/p95/p99 (target
//               p95 < 150 ms); confirmed orders/s with BENCH_SAGA_CONCURRENCY (20) customers for
//               BENCH_SAGA_DURATION (20) s; events, deliveries and HTTP invocations per order; on
//               embedded PostgreSQL, and also on a database of DATABASE_URL's server when it is set;
//               and over Kafka (target p95 < 300 ms).
//   telemetry   the same function's cold start and warm command with no OTLP endpoint beside traces and
//               metrics exported to one (http/protobuf), in one run (scripts/bench/telemetry.ts).
//   pglite      a parameterised query and a one-row insert through pg to the embedded database, in
//               process and over its socket, beside PGlite called directly, BENCH_PGLITE_QUERIES (2000)
//               each (scripts/bench/pglite.ts).
//   cold-chain  the saga on `npm start -- --scale-to-zero` with every function stopped, beside the same
//               saga warm: checkout to confirmed p50/p95, each function's start and its share of the
//               chain's time, CPU ms per confirmed order of the platform, the function processes and
//               PostgreSQL, warm and cold (scripts/bench/cold-chain.ts); BENCH_COLD_CHAIN_RUNS (5) cold
//               orders, BENCH_COLD_CHAIN_ORDERS (20) warm ones, BENCH_COLD_CHAIN_IDLE (10) s idle time.
//               Then, per run, a capacity table against prod: cores, PostgreSQL connections and Kafka
//               partitions for 10, 100 and 1,000 orders a minute (scripts/bench/capacity.ts).
//   knative     Knative's own Kafka broker data plane beside ours, and the saga under its dispatcher, ordered
//               against unordered Triggers (scripts/bench/knative.ts; needs KNATIVE_DATA_PLANE_DIR).
//   cold-profile where the function's cold start goes, beside both hello worlds, under BENCH_NODE too (scripts/bench/cold-profile.ts).
// Kafka is KAFKA_BROKERS, else the local one of `npm run kafka` (started if need be); BENCH_KAFKA=off
// leaves it out (scripts/bench/kafka.ts).
// `npm run bench -- broker saga start pglite` needs no DATABASE_URL.
// Prints one table and writes dist/bench.json. Everything runs one after the other (the machine
// is small); every child process is stopped on exit.
import autocannon, { type Options as LoadOptions } from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { signToken } from '../../functions/runtime/auth.js';
import { dropDatabase } from '../../functions/runtime/db.js';
import { brokerScenario, type DeliveryFigures } from './broker.js';
import { coldChainRows, coldChainScenario } from './cold-chain.js';
import { coldProfileRows, coldProfileScenario, type ColdProfileFigures } from './cold-profile.js';
import { DEFAULT_BUNDLES_DIR, ensureBundles } from '../../local/scale-to-zero/bundles.js';
import { cpuMeter, postgresPids } from './cpu.js';
import { benchKafka, type BenchKafka } from './kafka.js';
import { knativeScenario, type KnativeResult } from './knative.js';
import { SAGA_KAFKA_P95_TARGET_MS, SAGA_P95_TARGET_MS, sagaScenario } from './saga.js';
import { freePort, killAll, killChildrenOnSignals, request, rssKiB, startProcess, waitForHttp, type Answer } from './processes.js';
import { startupScenario } from './startup.js';
import { deliveryAuthScenario, type DeliveryAuthFigures } from './delivery-auth.js';
import { pgliteScenario, type PgliteFigures } from './pglite.js';
import { telemetryRows, telemetryScenario, type TelemetryFigures } from './telemetry.js';
import { poolRows, poolScenario, type PoolFigures } from './pool.js';
import { alternatingRuns, recordLatencies, summary, warmRows, type WarmContext, type WarmLoad, type WarmServer } from './warm.js';

type WarmSummary = ReturnType<typeof summary>;

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'dist');
const logs = join(root, '.cache', 'bench');
const fixtures = join(root, 'scripts', 'bench', 'fixtures');
const ffMain = join(root, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');

const OURS = 'billing-create-invoice';
const CLIENTS = 'billing-create-client';
const ROUTE = '/billing/invoices';
// Of this run alone: two benches on one server (a shared machine) must not drop each other's database.
const BENCH_DATABASE = `gotuto_bench_${process.pid}`;
const BROKER_DATABASE = 'gotuto_bench_broker';
const SAGA_DATABASE = 'gotuto_bench_saga';
const COLD_CHAIN_DATABASE = 'gotuto_bench_cold_chain';

const int = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const settings = {
  coldRuns: int('BENCH_COLD_RUNS', 7),
  connections: int('BENCH_CONNECTIONS', 50),
  durationSeconds: int('BENCH_DURATION', 10),
  warmupSeconds: int('BENCH_WARMUP', 2),
  warmRuns: int('BENCH_WARM_RUNS', 3),
  idleMs: 2_000,
  poolMax: int('PG_POOL_MAX', 4),
  broker: {
    events: int('BENCH_EVENTS', 500),
    concurrency: int('BENCH_BROKER_CONCURRENCY', 10),
    warmup: Number(process.env.BENCH_BROKER_WARMUP ?? 50) || 0,
    timeoutMs: int('BENCH_BROKER_TIMEOUT', 120) * 1000,
  },
  saga: {
    orders: int('BENCH_SAGA_ORDERS', 200),
    concurrency: int('BENCH_SAGA_CONCURRENCY', 20),
    durationSeconds: int('BENCH_SAGA_DURATION', 20),
    stock: int('BENCH_SAGA_STOCK', 100_000),
    timeoutMs: int('BENCH_SAGA_TIMEOUT', 180) * 1000,
  },
  start: {
    runs: int('BENCH_START_RUNS', 3),
    budgetMs: int('BENCH_START_BUDGET', 300) * 1000,
    deadlineMs: 120_000,
  },
  pgliteQueries: int('BENCH_PGLITE_QUERIES', 2000),
  coldChain: { runs: int('BENCH_COLD_CHAIN_RUNS', 5), orders: int('BENCH_COLD_CHAIN_ORDERS', 20), idleMs: int('BENCH_COLD_CHAIN_IDLE', 10) * 1000 },
  startup: { runs: int('BENCH_STARTUP_RUNS', 5), deliveries: int('BENCH_STARTUP_DELIVERIES', 300) },
};

const targets = { coldRatioMax: 1.3, warmRatioMin: 0.8, p99MsMax: 100, rssMiBMax: 90, kafkaEventsPerSecondMin: 2000 };

// The whole run is bounded: a hung step aborts it instead of stalling.
const LIMIT_MS = 25 * 60_000;
const began = performance.now();
const timeLeftMs = () => LIMIT_MS - (performance.now() - began);

type Scenario =
  'cold' | 'warm' | 'pool' | 'memory' | 'telemetry' | 'startup' | 'broker' | 'saga' | 'start' | 'pglite' | 'cold-chain' | 'knative' | 'cold-profile';
const SCENARIOS: Scenario[] = [
  'cold',
  'warm',
  'pool',
  'memory',
  'telemetry',
  'startup',
  'broker',
  'saga',
  'start',
  'pglite',
  'cold-chain',
  'knative',
  'cold-profile',
];
/** The scenarios of one deployed function, on DATABASE_URL only. */
const FUNCTION_SCENARIOS: Scenario[] = ['cold', 'warm', 'pool', 'memory', 'telemetry', 'startup', 'cold-profile'];

const log = (message: string) => console.log(`bench: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

// ---- the servers under test ----------------------------------------------------------------------

interface Server {
  label: string;
  args(port: number): string[];
  /** A request that any running instance answers, whatever its status. */
  probe: string;
}

const bundle = (name: string) => join(dist, 'functions', `${name}.js`);
const ffCli = (target: string, source: string) => (port: number) => [ffMain, `--target=${target}`, `--source=${join(fixtures, source)}`, `--port=${port}`];

const servers = {
  ours: { key: 'ours', label: `${OURS} (bundle)`, args: () => [bundle(OURS)], probe: '/' },
  hello: { key: 'hello', label: 'functions-framework hello world', args: ffCli('hello', 'hello.cjs'), probe: '/' },
  ffInvoice: { key: 'ff', label: '(a) bare functions-framework + pg', args: ffCli('createInvoice', 'ff-invoice.cjs'), probe: '/' },
  httpInvoice: { key: 'http', label: '(b) bare node:http + pg', args: () => [join(fixtures, 'http-invoice.cjs')], probe: '/' },
} satisfies Record<string, Server & WarmServer>;

interface Environment {
  databaseUrl: string;
  secret: string;
  token: string;
  clientId?: string;
}

const childEnv = (env: Environment, port: number): NodeJS.ProcessEnv => {
  const vars: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: env.databaseUrl,
    JWT_SECRET: env.secret,
    PG_POOL_MAX: String(settings.poolMax),
  };
  // No broker: events stay in the outbox, as in the baselines.
  delete vars.K_SINK;
  delete vars.KAFKA_BROKERS;
  delete vars.BILLING_DATABASE_URL;
  // No telemetry unless a scenario asks for it.
  delete vars.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  delete vars.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  return vars;
};

const start = async (server: Server, env: Environment, name: string, extra: NodeJS.ProcessEnv = {}) => {
  const port = await freePort();
  mkdirSync(logs, { recursive: true });
  const started = performance.now();
  const child = startProcess(process.execPath, server.args(port), {
    cwd: root,
    env: { ...childEnv(env, port), ...extra },
    logFile: join(logs, `${name}.log`),
  });
  await waitForHttp(port, child, { path: server.probe, deadlineMs: 30_000, intervalMs: 2 });
  return { child, port, readyMs: performance.now() - started };
};

const invoiceBody = (clientId: string) =>
  JSON.stringify({
    clientId,
    lines: [{ description: 'Widget', quantity: 2, unitPrice: { amount: 1999, currency: 'EUR' } }],
    dueDate: '2026-12-31',
  });

const post = (port: number, path: string, token: string, body: string): Promise<Answer> =>
  request(port, { method: 'POST', path, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });

// ---- preparation -----------------------------------------------------------------------------------

const run = (args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5 * 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`node ${args.join(' ')} failed (${code ?? signal})`));
    });
  });

/** Builds dist/ when a bundle is missing or older than the sources it is made of. */
const ensureBuilt = async () => {
  await ensureBundles(DEFAULT_BUNDLES_DIR, [OURS, CLIENTS], log);
  log(`using dist/ (built ${statSync(bundle(OURS)).mtime.toISOString()})`);
};

interface BenchDatabase {
  url: string;
  version: string;
  drop(): Promise<void>;
}

/**
 * A database of the benchmark's own on the server of DATABASE_URL, so runs start equal. When it
 * cannot be created: DATABASE_URL's own database if `fallback`, else undefined.
 */
async function prepareDatabase(adminUrl: string, name: string, fallback: true): Promise<BenchDatabase>;
async function prepareDatabase(adminUrl: string, name: string, fallback: false): Promise<BenchDatabase | undefined>;
async function prepareDatabase(adminUrl: string, name: string, fallback: boolean): Promise<BenchDatabase | undefined> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
    const url = new URL(adminUrl);
    if (url.pathname === `/${name}`) return { url: adminUrl, version, drop: async () => undefined };
    try {
      await dropDatabase(adminUrl, name);
      await admin.query(`CREATE DATABASE ${name}`);
    } catch (error) {
      if (!fallback) {
        log(`cannot create database ${name} (${(error as Error).message})`);
        return undefined;
      }
      log(`cannot create database ${name} (${(error as Error).message}); using DATABASE_URL's own database`);
      return { url: adminUrl, version, drop: async () => undefined };
    }
    url.pathname = `/${name}`;
    return { url: url.toString(), version, drop: () => dropDatabase(adminUrl, name) };
  } finally {
    await admin.end();
  }
}

/** Runs `work` with the database, and drops it afterwards whatever happens. */
const withDatabase = async <T>(database: BenchDatabase, work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } finally {
    await database.drop().catch((error: unknown) => log(`could not drop ${new URL(database.url).pathname.slice(1)}: ${(error as Error).message}`));
  }
};

const migrate = async (databaseUrl: string) => {
  if (!existsSync(join(root, 'scripts', 'migrate.ts'))) throw new Error('scripts/migrate.ts is missing: cannot create the tables');
  await run(['--import', 'tsx', 'scripts/migrate.ts', 'up'], { ...process.env, DATABASE_URL: databaseUrl });
};

/** The client the invoices are for, created through the platform's own POST /billing/clients. */
const createClient = async (env: Environment): Promise<string> => {
  if (!existsSync(bundle(CLIENTS))) throw new Error(`dist/functions/${CLIENTS}.js is missing: is ${CLIENTS} in the registry?`);
  const server: Server = { label: CLIENTS, args: () => [bundle(CLIENTS)], probe: '/healthz' };
  const { child, port } = await start(server, env, CLIENTS);
  try {
    const answer = await post(port, '/billing/clients', env.token, JSON.stringify({ name: 'Bench Client', email: 'bench@example.com' }));
    if (answer.status !== 201) throw new Error(`POST /billing/clients answered ${answer.status}: ${answer.body}`);
    const created = JSON.parse(answer.body) as { id?: string; clientId?: string };
    const id = created.id ?? created.clientId;
    if (!id) throw new Error(`POST /billing/clients answered no id: ${answer.body}`);
    return id;
  } finally {
    await child.stop();
  }
};

// ---- scenarios -------------------------------------------------------------------------------------

interface ColdResult {
  medianMs: number;
  runsMs: number[];
}

const coldStart = async (env: Environment) => {
  const measure = async (server: Server, name: string) => {
    const { child, readyMs } = await start(server, env, `cold-${name}`);
    await child.stop();
    return readyMs;
  };
  // One discarded start each warms the file cache; then the two alternate, so drift hits both.
  await measure(servers.ours, 'ours');
  await measure(servers.hello, 'hello');
  const ours: number[] = [];
  const hello: number[] = [];
  for (let i = 0; i < settings.coldRuns; i++) {
    ours.push(await measure(servers.ours, 'ours'));
    hello.push(await measure(servers.hello, 'hello'));
    log(`cold start ${i + 1}/${settings.coldRuns}: ours ${round(ours.at(-1) as number)} ms, hello world ${round(hello.at(-1) as number)} ms`);
  }
  const result = {
    ours: { medianMs: round(median(ours)), runsMs: ours.map((v) => round(v)) } satisfies ColdResult,
    hello: { medianMs: round(median(hello)), runsMs: hello.map((v) => round(v)) } satisfies ColdResult,
    ratio: round(median(ours) / median(hello), 2),
    target: `ours <= ${targets.coldRatioMax}x hello world`,
    met: false,
  };
  result.met = result.ratio <= targets.coldRatioMax;
  return result;
};

interface LoadResult {
  label: string;
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** CPU time per request (ms) of the function's process and of PostgreSQL, during the measured run. */
  cpuMsPerRequest?: { server: number; postgres: number };
  /** The first answer, when it was not a success: the reason the figures are not comparable. */
  failure?: string;
}

const load = async (server: Server, env: Environment, name: string, extra: NodeJS.ProcessEnv = {}): Promise<LoadResult> => {
  const clientId = env.clientId as string;
  const { child, port } = await start(server, env, `warm-${name}`, extra);
  try {
    const body = invoiceBody(clientId);
    const first = await post(port, ROUTE, env.token, body);
    if (first.status !== 201) {
      const failure = `POST ${ROUTE} answered ${first.status}: ${first.body.slice(0, 500)}`;
      log(`${server.label}: ${failure}`);
      return {
        label: server.label,
        requestsPerSecond: NaN,
        requests: 0,
        p50Ms: NaN,
        p95Ms: NaN,
        p99Ms: NaN,
        maxMs: NaN,
        non2xx: 1,
        errors: 0,
        timeouts: 0,
        failure,
      };
    }
    const options: LoadOptions = {
      url: `http://127.0.0.1:${port}${ROUTE}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.token}` },
      body,
      connections: settings.connections,
      duration: settings.durationSeconds,
      timeout: 10,
    };
    await autocannon({ ...options, connections: Math.min(10, settings.connections), duration: settings.warmupSeconds });
    const meter = cpuMeter({ server: () => [child.pid], postgres: postgresPids });
    const instance = autocannon(options);
    const latencies = recordLatencies(instance);
    const result = await instance;
    const cpu = meter.stop();
    const sorted = latencies().sort();
    const figures: LoadResult = {
      label: server.label,
      requestsPerSecond: round(result.requests.total / result.duration, 0),
      requests: result.requests.total,
      p50Ms: round(percentile(sorted, 50), 2),
      p95Ms: round(percentile(sorted, 95), 2),
      p99Ms: round(percentile(sorted, 99), 2),
      maxMs: round(result.latency.max, 2),
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
    };
    if (result.requests.total > 0) {
      figures.cpuMsPerRequest = {
        server: round((cpu.server ?? 0) / result.requests.total, 3),
        postgres: round((cpu.postgres ?? 0) / result.requests.total, 3),
      };
    }
    log(
      `${server.label}: ${figures.requestsPerSecond} req/s, p50 ${figures.p50Ms} ms, p95 ${figures.p95Ms} ms, p99 ${figures.p99Ms} ms` +
        (figures.cpuMsPerRequest ? `, CPU ms per request: server ${figures.cpuMsPerRequest.server}, PostgreSQL ${figures.cpuMsPerRequest.postgres}` : '') +
        (figures.non2xx + figures.errors > 0 ? `, ${figures.non2xx} non-2xx and ${figures.errors} errors` : ''),
    );
    if (figures.non2xx > 0) {
      const answer = await post(port, ROUTE, env.token, body);
      figures.failure = `${figures.non2xx} answers were not 2xx (now: ${answer.status} ${answer.body.slice(0, 300)})`;
    }
    return figures;
  } finally {
    await child.stop();
  }
};

const warmContext = (env: Environment): WarmContext => ({ root, logs, log, env: (port) => childEnv(env, port) });
const warmLoad = (env: Environment): WarmLoad => ({
  path: ROUTE,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${env.token}` },
  body: invoiceBody(env.clientId as string),
  connections: settings.connections,
  durationSeconds: settings.durationSeconds,
  warmupSeconds: settings.warmupSeconds,
});

const warm = async (env: Environment) => {
  const all = await alternatingRuns(warmContext(env), [servers.ours, servers.ffInvoice, servers.httpInvoice], warmLoad(env), settings.warmRuns);
  const [ours, ff, http] = all.map(summary) as [WarmSummary, WarmSummary, WarmSummary];
  const ratio = round(ours.requestsPerSecond / ff.requestsPerSecond, 2);
  const clean = [ours, ff, http].every((r) => !r.failure && r.errors === 0);
  return {
    ours,
    ffBaseline: ff,
    httpBaseline: http,
    ratio,
    target: `ours >= ${targets.warmRatioMin}x (a) in req/s (medians of ${settings.warmRuns} alternating runs), ours p99 < ${targets.p99MsMax} ms`,
    met: clean && ratio >= targets.warmRatioMin && ours.p99Ms < targets.p99MsMax,
  };
};

const idleRss = async (server: Server, env: Environment, name: string, first: (port: number) => Promise<Answer>) => {
  const { child, port } = await start(server, env, `memory-${name}`);
  try {
    const answer = await first(port);
    await sleep(settings.idleMs);
    return { rssMiB: round(rssKiB(child.pid) / 1024), firstStatus: answer.status };
  } finally {
    await child.stop();
  }
};

const memory = async (env: Environment) => {
  const ours = await idleRss(servers.ours, env, 'ours', (port) => post(port, ROUTE, env.token, invoiceBody(env.clientId as string)));
  const hello = await idleRss(servers.hello, env, 'hello', (port) => request(port, { path: '/' }));
  log(`idle RSS: ours ${ours.rssMiB} MiB (first answer ${ours.firstStatus}), hello world ${hello.rssMiB} MiB`);
  return { ours, hello, ratio: round(ours.rssMiB / hello.rssMiB, 2), target: `ours < ${targets.rssMiBMax} MiB`, met: ours.rssMiB < targets.rssMiBMax };
};

const telemetry = (env: Environment) =>
  telemetryScenario({
    runs: settings.coldRuns,
    bundles: { function: bundle(OURS), sdk: join(dist, 'functions', 'telemetry-sdk.js') },
    coldStart: async (extra, name) => {
      const { child, readyMs } = await start(servers.ours, env, name, extra);
      await child.stop();
      return { readyMs, logFile: join(logs, `${name}.log`) };
    },
    load: (extra, name) => load(servers.ours, env, name, extra),
    log,
  });

const coldProfile = (env: Environment) =>
  coldProfileScenario({
    runs: settings.coldRuns,
    nodes: [process.execPath, ...(process.env.BENCH_NODE ? [process.env.BENCH_NODE] : [])],
    root,
    logs,
    bundles: [{ name: 'ours', path: bundle(OURS) }, ...(process.env.BENCH_COLD_BEFORE ? [{ name: 'before', path: process.env.BENCH_COLD_BEFORE }] : [])],
    ffMain,
    fixtures,
    env: (port) => childEnv(env, port),
    command: { path: ROUTE, headers: { 'content-type': 'application/json', authorization: `Bearer ${env.token}` }, body: invoiceBody(env.clientId as string) },
    log,
  });

// ---- report ----------------------------------------------------------------------------------------

type Results = {
  cold?: Awaited<ReturnType<typeof coldStart>>;
  warm?: Awaited<ReturnType<typeof warm>>;
  memory?: Awaited<ReturnType<typeof memory>>;
  telemetry?: TelemetryFigures;
  broker?: Awaited<ReturnType<typeof brokerScenario>>;
  saga?: Awaited<ReturnType<typeof sagaScenario>>;
  start?: Awaited<ReturnType<typeof startupScenario>>;
  pglite?: PgliteFigures;
  coldChain?: Awaited<ReturnType<typeof coldChainScenario>>;
  startup?: DeliveryAuthFigures;
  pool?: PoolFigures;
  knative?: KnativeResult;
  coldProfile?: ColdProfileFigures;
};

const table = (results: Results): string => {
  const cpuCount = cpus().length;
  const rows: string[][] = [['figure', 'ours', 'baseline', '(b) node:http', 'ratio', 'target', '']];
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const fmt = (value: number) => (Number.isFinite(value) ? String(value) : 'n/a');
  const { cold, warm: w, memory: m, broker: b, saga: sg, start: st } = results;
  if (cold) {
    rows.push([
      `cold start, median of ${settings.coldRuns} (ms)`,
      fmt(cold.ours.medianMs),
      `${fmt(cold.hello.medianMs)} FF hello`,
      '',
      `${fmt(cold.ratio)}x`,
      `<= ${targets.coldRatioMax}x`,
      mark(cold.met),
    ]);
  }
  if (w) {
    const conc = `${settings.connections} conn, median of ${settings.warmRuns} runs of ${settings.durationSeconds} s, pools ${settings.poolMax}`;
    rows.push([
      `POST ${ROUTE} req/s (${conc})`,
      fmt(w.ours.requestsPerSecond),
      `${fmt(w.ffBaseline.requestsPerSecond)} (a) bare FF`,
      fmt(w.httpBaseline.requestsPerSecond),
      `${fmt(w.ratio)}x`,
      `>= ${targets.warmRatioMin}x`,
      mark(Number.isFinite(w.ratio) && w.ratio >= targets.warmRatioMin),
    ]);
    for (const p of ['p50', 'p95', 'p99'] as const) {
      const key = `${p}Ms` as const;
      const ratio = round(w.ours[key] / w.ffBaseline[key], 2);
      const isP99 = p === 'p99';
      rows.push([
        `  latency ${p} (ms)`,
        fmt(w.ours[key]),
        `${fmt(w.ffBaseline[key])} (a)`,
        fmt(w.httpBaseline[key]),
        `${fmt(ratio)}x`,
        isP99 ? `< ${targets.p99MsMax} ms` : '',
        isP99 ? mark(w.ours.p99Ms < targets.p99MsMax) : '',
      ]);
    }
    // CPU per request: the figure noise on a shared 2-core machine moves least.
    const cpu = (r: LoadResult, part: 'server' | 'postgres') => fmt(r.cpuMsPerRequest?.[part] ?? NaN);
    for (const part of ['server', 'postgres'] as const) {
      const ratio = round((w.ours.cpuMsPerRequest?.[part] ?? NaN) / (w.ffBaseline.cpuMsPerRequest?.[part] ?? NaN), 2);
      rows.push([
        `  CPU ms per request, ${part === 'server' ? "the function's process" : 'PostgreSQL'}`,
        cpu(w.ours, part),
        `${cpu(w.ffBaseline, part)} (a)`,
        cpu(w.httpBaseline, part),
        `${fmt(ratio)}x`,
        '',
        '',
      ]);
    }
    rows.push(...warmRows([w.ours, w.ffBaseline, w.httpBaseline], fmt));
  }
  if (m) {
    rows.push([
      `idle RSS after one request (MiB)`,
      fmt(m.ours.rssMiB),
      `${fmt(m.hello.rssMiB)} FF hello`,
      '',
      `${fmt(m.ratio)}x`,
      `< ${targets.rssMiBMax} MiB`,
      mark(m.met),
    ]);
  }
  if (results.telemetry) rows.push(...telemetryRows(results.telemetry));
  if (b) {
    const conc = `${b.settings.events} events, ${b.settings.concurrency} in flight`;
    const runs = [['embedded PG', b.embedded] as const, ...(b.postgres ? [[`PostgreSQL ${b.postgres.version.split(' ')[0]}`, b.postgres] as const] : [])];
    for (const [where, ours] of runs) {
      rows.push([
        `broker to no-op handler, ${where}: events/s (${conc})`,
        fmt(ours.eventsPerSecond),
        `${fmt(b.baseline.eventsPerSecond)} node:http`,
        '',
        `${fmt(round(ours.eventsPerSecond / b.baseline.eventsPerSecond, 3))}x`,
        '',
        ours.failure ? 'INCOMPLETE' : '',
      ]);
      for (const p of ['p50', 'p95', 'p99'] as const) {
        const key = `${p}Ms` as const;
        rows.push([
          `  ingress-to-handler latency ${p} (ms)`,
          fmt(ours[key]),
          `${fmt(b.baseline[key])} node:http`,
          '',
          `${fmt(round(ours[key] / b.baseline[key], 1))}x`,
          '',
          '',
        ]);
      }
    }
  }
  if (b?.kafka) {
    const k = b.kafka;
    const conc = `${b.settings.events} events, ${b.settings.concurrency} in flight, ${k.database}`;
    const own = `${k.sinkSettings.events} events, ${k.sinkSettings.concurrency} in flight, one Trigger, ${k.database}`;
    const pairs = [
      [`Kafka broker to bare node:http subscriber: events/s (${own})`, k.toSink, k.embeddedToSink, true],
      [`Kafka broker to no-op function, all Triggers: events/s (${conc})`, k.toFunction, k.embeddedToFunction, false],
    ] as const;
    for (const [title, ours, embeddedRun, targeted] of pairs) {
      const met = ours.eventsPerSecond >= targets.kafkaEventsPerSecondMin && !ours.failure;
      const pipe = targeted ? k.pipeToSink : undefined;
      rows.push([
        title,
        fmt(ours.eventsPerSecond),
        `${fmt(embeddedRun.eventsPerSecond)} embedded broker`,
        pipe ? `${fmt(pipe.eventsPerSecond)} bare kafkajs` : '',
        `${fmt(round(ours.eventsPerSecond / embeddedRun.eventsPerSecond, 2))}x`,
        targeted ? `>= ${targets.kafkaEventsPerSecondMin}` : '',
        targeted ? mark(met) : ours.failure ? 'INCOMPLETE' : '',
      ]);
      for (const p of ['p50', 'p95', 'p99'] as const) {
        const key = `${p}Ms` as const;
        rows.push([
          `  ingress-to-handler latency ${p} (ms)`,
          fmt(ours[key]),
          `${fmt(embeddedRun[key])} embedded broker`,
          pipe ? fmt(pipe[key]) : '',
          `${fmt(round(ours[key] / embeddedRun[key], 2))}x`,
          '',
          '',
        ]);
      }
      if (pipe) {
        // Where the CPU goes: the figure a 2-core machine allows is bounded by the sum of these.
        const parts = ['sender', 'broker', 'subscriber', 'kafka', 'postgres'];
        const cpuOf = (f: DeliveryFigures) => (f.cpuMsPerEvent ? parts.map((name) => fmt(f.cpuMsPerEvent?.[name] ?? 0)).join(' / ') : 'n/a');
        rows.push([
          `  CPU ms per event: sender / broker / subscriber / Kafka / PostgreSQL`,
          cpuOf(ours),
          `${cpuOf(embeddedRun)} embedded`,
          cpuOf(pipe),
          '',
          '',
          '',
        ]);
        const rest = (f: DeliveryFigures) => ['sender', 'subscriber', 'kafka'].reduce((sum, name) => sum + (f.cpuMsPerEvent?.[name] ?? 0), 0);
        const ceiling = (f: DeliveryFigures) => (f.cpuMsPerEvent && rest(f) > 0 ? fmt(Math.round((cpuCount * 1000) / rest(f))) : 'n/a');
        rows.push([
          `  events/s the ${cpuCount} cores allow if the broker process cost nothing (sender + subscriber + Kafka CPU)`,
          ceiling(ours),
          '',
          ceiling(pipe),
          '',
          '',
          '',
        ]);
        rows.push([
          `  sender straight to the subscriber, no broker: events/s (CPU ms per event sender / subscriber)`,
          fmt(k.directToSink.eventsPerSecond),
          '',
          `${fmt(k.directToSink.cpuMsPerEvent?.sender ?? NaN)} / ${fmt(k.directToSink.cpuMsPerEvent?.subscriber ?? NaN)}`,
          '',
          '',
          '',
        ]);
      }
    }
  }
  if (sg?.kafka) {
    const l = sg.kafka.latency;
    const embeddedRun = sg.postgres ?? sg.embedded;
    const met = l.confirmed === l.planned && l.failed === 0 && l.p95Ms < SAGA_KAFKA_P95_TARGET_MS;
    rows.push([
      `saga over Kafka, ${sg.kafka.database}: checkout to confirmed, ${l.orders} sequential orders, ${l.confirmed} confirmed`,
      '',
      '',
      '',
      '',
      '',
      sg.kafka.failure ? 'INCOMPLETE' : '',
    ]);
    for (const p of ['p50', 'p95', 'p99'] as const) {
      const isP95 = p === 'p95';
      rows.push([
        `  latency ${p} (ms)`,
        fmt(l[`${p}Ms`]),
        `${fmt(embeddedRun.latency[`${p}Ms`])} embedded broker`,
        '',
        '',
        isP95 ? `< ${SAGA_KAFKA_P95_TARGET_MS} ms` : '',
        isP95 ? mark(met) : '',
      ]);
    }
    rows.push([
      `  confirmed orders/s (${sg.kafka.throughput.customers} customers)`,
      fmt(sg.kafka.throughput.ordersPerSecond),
      `${fmt(embeddedRun.throughput.ordersPerSecond)} embedded broker`,
      '',
      '',
      '',
      '',
    ]);
  }
  if (sg) {
    const runs = [['embedded PG', sg.embedded] as const, ...(sg.postgres ? [[`PostgreSQL ${sg.postgres.version.split(' ')[0]}`, sg.postgres] as const] : [])];
    for (const [where, ours] of runs) {
      const l = ours.latency;
      const n = l.orders === l.planned ? `${l.orders} sequential orders` : `${l.orders} (not ${l.planned}: time) sequential orders`;
      const incomplete = ours.failure ? 'INCOMPLETE' : '';
      rows.push([`saga, ${where}: checkout to confirmed, ${n}, ${l.confirmed} confirmed`, '', '', '', '', '', incomplete]);
      for (const p of ['p50', 'p95', 'p99'] as const) {
        const isP95 = p === 'p95';
        rows.push([`  latency ${p} (ms)`, fmt(l[`${p}Ms`]), '', '', '', isP95 ? `< ${SAGA_P95_TARGET_MS} ms` : '', isP95 ? mark(l.met) : '']);
      }
      const t = ours.throughput;
      rows.push([
        `  confirmed orders/s (${t.customers} customers, ${t.seconds} s, ${t.confirmed} orders${t.failed ? `, ${t.failed} failed` : ''})`,
        fmt(t.ordersPerSecond),
        '',
        '',
        '',
        '',
        '',
      ]);
      const o = ours.perOrder;
      rows.push([`  events per order, placed to confirmed (all with its correlation id)`, `${fmt(o.events)} (${fmt(o.eventsTotal)})`, '', '', '', '', '']);
      rows.push([`  event handler invocations per order (all)`, `${fmt(o.deliveries)} (${fmt(o.deliveriesTotal)})`, '', '', '', '', '']);
      rows.push([`  HTTP invocations per order (3 requests + 2 Catalog validate)`, fmt(o.httpInvocations), '', '', '', '', '']);
    }
  }
  if (st) {
    const of = st.runs === st.planned ? `median of ${st.runs}` : `median of ${st.runs} (not ${st.planned}: time)`;
    rows.push([`npm start to /healthz 200, empty data dir, ${of} (s)`, fmt(st.empty.medianS), '', '', '', '', '']);
    rows.push([`npm start to /healthz 200, existing data dir, ${of} (s)`, fmt(st.existing.medianS), '', '', '', '', '']);
  }
  const su = results.startup;
  if (su) {
    for (const [mode, label] of [
      ['token', 'token checked (one token reused)'],
      ['fresh-token', 'token checked (a new token each time)'],
    ] as const) {
      rows.push([
        `${su.handler} cold start to 1st delivery, ${label}, median of ${su.runs} (ms)`,
        fmt(su[mode].coldStartMs.median),
        `${fmt(su['network-policy'].coldStartMs.median)} unchecked`,
        '',
        `${fmt(round(su[mode].coldStartMs.median / su['network-policy'].coldStartMs.median, 2))}x`,
        '',
        '',
      ]);
      rows.push([
        `  CPU ms per delivery, ${label}, ${su.deliveries} deliveries`,
        fmt(su[mode].cpuMsPerDelivery),
        `${fmt(su['network-policy'].cpuMsPerDelivery)} unchecked`,
        '',
        `${fmt(round(su[mode].cpuMsPerDelivery / su['network-policy'].cpuMsPerDelivery, 2))}x`,
        '',
        '',
      ]);
    }
  }
  const pl = results.pglite;
  if (pl) {
    for (const kind of ['select', 'insert'] as const) {
      const f = pl[kind];
      const what = kind === 'select' ? 'SELECT $1 (parameterised)' : 'one-row INSERT';
      for (const way of ['inProcess', 'socket'] as const) {
        const how = way === 'inProcess' ? 'in process' : 'over its socket';
        rows.push([
          `embedded PostgreSQL, ${what} through pg ${how}, mean of ${pl.queries} (ms)`,
          fmt(f[way]),
          `${fmt(f.direct)} PGlite direct`,
          '',
          `${fmt(round(f[way] / f.direct, 2))}x`,
          '',
          '',
        ]);
      }
    }
  }
  for (const run of results.coldChain ?? []) rows.push(...coldChainRows(run));
  if (results.pool) rows.push(...poolRows(results.pool, fmt));
  if (results.coldProfile) rows.push(...coldProfileRows(results.coldProfile, 1));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((n) => '-'.repeat(n)).join('  '), ...rows.slice(1).map(line)].join('\n');
};

// ---- main ------------------------------------------------------------------------------------------

const main = async () => {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !SCENARIOS.includes(a as Scenario));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  const scenarios = asked.length > 0 ? (asked as Scenario[]) : SCENARIOS;
  const functionScenarios = scenarios.filter((s) => FUNCTION_SCENARIOS.includes(s));
  const adminUrl = process.env.DATABASE_URL;
  if (functionScenarios.length > 0 && !adminUrl) {
    throw new Error(
      `DATABASE_URL is not set. ${functionScenarios.join(', ')} need a real PostgreSQL (the embedded one is correct, not fast), ` +
        'e.g. `sudo .ci/run postgres` then DATABASE_URL=postgres://gotuto:gotuto@127.0.0.1:5432/gotuto npm run bench ' +
        '(`npm run bench -- broker saga start` runs on embedded PostgreSQL only)',
    );
  }
  if (functionScenarios.length > 0 && !existsSync(ffMain)) throw new Error(`${ffMain} is missing: run npm ci`);

  const loadBefore = round(loadavg()[0] as number, 2);
  if (loadBefore > cpus().length / 2) {
    log(`warning: load average ${loadBefore} on ${cpus().length} CPUs before starting: other processes will skew the figures`);
  }
  mkdirSync(logs, { recursive: true });
  const results: Results = {};
  let postgres: string | undefined;

  if (functionScenarios.length > 0) {
    await ensureBuilt();
    const database = await prepareDatabase(adminUrl as string, BENCH_DATABASE, true);
    postgres = database.version;
    await withDatabase(database, async () => {
      log(`PostgreSQL ${database.version}, database ${new URL(database.url).pathname.slice(1)}; migrating`);
      await migrate(database.url);
      const secret = randomBytes(32).toString('base64url');
      const env: Environment = { databaseUrl: database.url, secret, token: await signToken({ id: randomUUID(), role: 'admin' }, '2h', secret) };
      if (['warm', 'pool', 'memory', 'telemetry', 'cold-profile'].some((s) => scenarios.includes(s as Scenario))) env.clientId = await createClient(env);
      if (scenarios.includes('cold')) results.cold = await coldStart(env);
      if (scenarios.includes('warm')) results.warm = await warm(env);
      if (scenarios.includes('pool'))
        results.pool = await poolScenario({
          root,
          logs,
          log,
          server: servers.ours,
          load: warmLoad(env),
          databaseUrl: database.url,
          env: (port, poolMax, url) => ({ ...childEnv(env, port), PG_POOL_MAX: String(poolMax), DATABASE_URL: url }),
        });
      if (scenarios.includes('memory')) results.memory = await memory(env);
      if (scenarios.includes('telemetry')) results.telemetry = await telemetry(env);
      if (scenarios.includes('startup'))
        results.startup = await deliveryAuthScenario({ dist, root, logs, databaseUrl: database.url, settings: settings.startup, log });
      if (scenarios.includes('cold-profile')) results.coldProfile = await coldProfile(env);
    });
  }

  let kafka: BenchKafka | undefined;
  if (['broker', 'saga', 'cold-chain', 'knative'].some((s) => scenarios.includes(s as Scenario))) kafka = await benchKafka(log, settings.broker);

  if (scenarios.includes('broker')) {
    const ctx = { root, logs, settings: settings.broker, log };
    // On DATABASE_URL's server too, in a database of its own; the platform migrates it.
    const database = adminUrl ? await prepareDatabase(adminUrl, BROKER_DATABASE, false) : undefined;
    if (database) {
      postgres ??= database.version;
      log(`broker: PostgreSQL ${database.version}, database ${new URL(database.url).pathname.slice(1)}`);
      results.broker = await withDatabase(database, () => brokerScenario(ctx, { url: database.url, version: database.version }, kafka));
    } else {
      if (adminUrl) log('broker: embedded PostgreSQL only');
      results.broker = await brokerScenario(ctx, undefined, kafka);
    }
  }

  if (scenarios.includes('saga')) {
    const ctx = { root, logs, settings: { ...settings.saga, timeoutMs: Math.min(settings.saga.timeoutMs, timeLeftMs() / 3) }, log };
    const database = adminUrl ? await prepareDatabase(adminUrl, SAGA_DATABASE, false) : undefined;
    if (database) {
      postgres ??= database.version;
      log(`saga: PostgreSQL ${database.version}, database ${new URL(database.url).pathname.slice(1)}`);
      results.saga = await withDatabase(database, () => sagaScenario(ctx, { url: database.url, version: database.version }, kafka));
    } else {
      if (adminUrl) log('saga: embedded PostgreSQL only');
      results.saga = await sagaScenario(ctx, undefined, kafka);
    }
  }

  if (scenarios.includes('start')) {
    const budgetMs = Math.min(settings.start.budgetMs, timeLeftMs() - 60_000);
    results.start = await startupScenario({ root, logs, settings: { ...settings.start, budgetMs }, log });
  }

  if (scenarios.includes('pglite')) results.pglite = await pgliteScenario(settings.pgliteQueries, log);

  if (scenarios.includes('cold-chain')) {
    const ctx = { root, logs, settings: settings.coldChain, log };
    // Each run (embedded broker, Kafka) on a new database of DATABASE_URL's server when set.
    const database = async () => {
      const made = adminUrl ? await prepareDatabase(adminUrl, COLD_CHAIN_DATABASE, false) : undefined;
      if (made) {
        postgres ??= made.version;
        log(`cold chain: PostgreSQL ${made.version}, database ${new URL(made.url).pathname.slice(1)}`);
      }
      return made;
    };
    results.coldChain = await coldChainScenario(ctx, database, kafka);
  }

  if (scenarios.includes('knative')) results.knative = await knativeScenario({ root, logs, log, adminUrl }, kafka);

  const report = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    postgres: postgres ?? null,
    loadAverage: { before: loadBefore, after: round(loadavg()[0] as number, 2) },
    settings,
    targets,
    ...results,
  };
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`\n${table(results)}\n`);
  const failures = [results.warm?.ours, results.warm?.ffBaseline, results.warm?.httpBaseline].filter((r) => r?.failure);
  for (const r of failures) console.log(`warning: ${r?.label}: ${r?.failure}`);
  const b = results.broker;
  for (const r of [
    b?.baseline,
    b?.embedded,
    b?.postgres,
    b?.kafka?.toSink,
    b?.kafka?.embeddedToSink,
    b?.kafka?.pipeToSink,
    b?.kafka?.directToSink,
    b?.kafka?.toFunction,
  ])
    if (r?.failure) console.log(`warning: broker, ${r.label}: ${r.failure}`);
  const sg = results.saga;
  for (const r of [sg?.embedded, sg?.postgres, sg?.kafka]) if (r?.failure) console.log(`warning: ${r.label}: ${r.failure}`);
  if (results.start?.note) console.log(`note: npm start: ${results.start.note}`);
  for (const run of results.coldChain ?? []) for (const note of run.notes) console.log(`note: cold chain, ${run.broker} broker: ${note}`);
  for (const run of results.coldChain ?? []) if (run.capacity) console.log(`\ncapacity, from the ${run.capacity.source}:\n${run.capacity.markdown}\n`);
  if (results.warm) console.log('(a) = the same SQL in a bare functions-framework function, (b) = on bare node:http');
  if (b) console.log('broker: node:http = a bare node:http server receiving the same binary-mode POSTs; latency = handler receive - send');
  if (b?.kafka)
    console.log(
      'broker: bare kafkajs = node:http ingress, idempotent producer, one consumer group, node:http delivery, nothing else (fixtures/kafka-pipe.cjs)',
    );
  console.log(`logs in ${logs}; results written to dist/bench.json`);
};

killChildrenOnSignals();
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${LIMIT_MS / 60_000} min; aborting`);
  killAll();
  process.exit(1);
}, LIMIT_MS);
watchdog.unref();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    killAll();
    process.exit(1);
  },
);
