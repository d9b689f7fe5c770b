// `npm run bench -- warm` (and `pool`): a warm instance's capacity, run after run. Each server under
// test is started once and kept warm; the runs then alternate between them (ours, then each
// baseline, BENCH_WARM_RUNS times), so that a machine growing busier or quieter hits every server
// alike and the spread of one server's runs is its own. Beside req/s and latency, each run says
// what explains it, from inside the server's process (fixtures/diagnostics.cjs, loaded into ours
// and the baselines alike): requests queued for a pooled connection, event-loop delay and
// utilisation, garbage-collection pauses; and from outside: CPU time per request of the server and
// of PostgreSQL, and the answers by status (a 409 is a serialization failure or deadlock, 40001 or
// 40P01; the runtime does not retry one, it answers 409).
import autocannon, { type Instance as LoadRun, type Options as LoadOptions } from 'autocannon';
import { join } from 'node:path';
import { cpuMeter, postgresPids } from './cpu.js';
import { freePort, request, startProcess, waitForHttp, type Child } from './processes.js';

export interface WarmServer {
  /** A short name for logs and files. */
  key: string;
  label: string;
  /** Node's arguments (script and its own arguments) for a server listening on `port`. */
  args(port: number): string[];
}

export interface WarmLoad {
  path: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface WarmContext {
  root: string;
  logs: string;
  log(message: string): void;
  /** The environment of a server listening on `port`. */
  env(port: number): NodeJS.ProcessEnv;
}

export interface Diagnostics {
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  eventLoopUtilization: number;
  gc: { count: number; ms: number; major: number; maxMs: number };
  pool: { waitingMean: number; waitingMax: number; busyMean: number; pools: number; now: { waiting: number; busy: number } };
}

export interface RunFigures {
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers by status code, all of them. */
  statuses: Record<string, number>;
  errors: number;
  cpuMsPerRequest: { server: number; postgres: number };
  diagnostics?: Diagnostics;
}

export interface Instance {
  server: WarmServer;
  child: Child;
  port: number;
}

const DIAGNOSTICS = join('scripts', 'bench', 'fixtures', 'diagnostics.cjs');
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number);

/** Asks the server's diagnostics preload something and waits for its answer. */
const ask = (child: Child, message: 'diagnostics:reset' | 'diagnostics:read'): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.proc.off('message', onMessage);
      reject(new Error(`no answer to ${message}`));
    }, 5_000);
    const onMessage = (answer: unknown) => {
      if (typeof answer !== 'object' || answer === null || !('diagnostics' in answer)) return;
      clearTimeout(timer);
      child.proc.off('message', onMessage);
      resolve(answer.diagnostics);
    };
    child.proc.on('message', onMessage);
    child.proc.send(message);
  });

const loadOptions = (port: number, load: WarmLoad): LoadOptions => ({
  url: `http://127.0.0.1:${port}${load.path}`,
  method: 'POST',
  headers: load.headers,
  body: load.body,
  connections: load.connections,
  duration: load.durationSeconds,
  timeout: 10,
});

/**
 * Waits until the server's pools are idle: requests a load left queued when it stopped (its client
 * gave up on them, the server did not) must not run on the next run's time, this server's or another's.
 */
const drained = async (child: Child, deadlineMs = 10_000): Promise<void> => {
  const deadline = performance.now() + deadlineMs;
  while (performance.now() < deadline) {
    const { pool } = (await ask(child, 'diagnostics:read')) as Diagnostics;
    if (pool.now.waiting === 0 && pool.now.busy === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

/** Starts a server with the diagnostics preload, checks that it answers 201, and warms it up. */
export const startWarm = async (ctx: WarmContext, server: WarmServer, load: WarmLoad, name = server.key): Promise<Instance> => {
  const port = await freePort();
  const child = startProcess(process.execPath, ['--require', join(ctx.root, DIAGNOSTICS), ...server.args(port)], {
    cwd: ctx.root,
    env: ctx.env(port),
    logFile: join(ctx.logs, `warm-${name}.log`),
    ipc: true,
  });
  try {
    await waitForHttp(port, child, { path: '/', deadlineMs: 30_000, intervalMs: 5 });
    const first = await request(port, { method: 'POST', path: load.path, headers: load.headers, body: load.body });
    if (first.status !== 201) throw new Error(`${server.label}: POST ${load.path} answered ${first.status}: ${first.body.slice(0, 300)}`);
    await autocannon({ ...loadOptions(port, load), connections: Math.min(10, load.connections), duration: load.warmupSeconds });
    await drained(child);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { server, child, port };
};

/** Every answer's latency (ms) of a load run, kept as it comes; read once the run has ended. */
export const recordLatencies = (running: LoadRun): (() => Float64Array) => {
  let samples = new Float64Array(1 << 16);
  let count = 0;
  running.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    if (count === samples.length) {
      const bigger = new Float64Array(samples.length * 2);
      bigger.set(samples);
      samples = bigger;
    }
    samples[count++] = ms;
  });
  return () => samples.slice(0, count);
};

/** One measured run against a warm server. */
export const measureRun = async (instance: Instance, load: WarmLoad): Promise<RunFigures> => {
  await ask(instance.child, 'diagnostics:reset');
  const meter = cpuMeter({ server: () => [instance.child.pid], postgres: postgresPids });
  const running = autocannon(loadOptions(instance.port, load));
  const latencies = recordLatencies(running);
  const result = await running;
  const cpu = meter.stop();
  const diagnostics = (await ask(instance.child, 'diagnostics:read')) as Diagnostics;
  await drained(instance.child);
  const sorted = latencies().sort();
  const requests = Math.max(1, result.requests.total);
  return {
    requestsPerSecond: round(result.requests.total / result.duration, 0),
    requests: result.requests.total,
    p50Ms: round(percentile(sorted, 50), 2),
    p95Ms: round(percentile(sorted, 95), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(result.latency.max, 2),
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count: n }]) => [code, n])),
    errors: result.errors + result.timeouts,
    cpuMsPerRequest: { server: round((cpu.server ?? 0) / requests, 3), postgres: round((cpu.postgres ?? 0) / requests, 3) },
    diagnostics,
  };
};

/** What a run's figures say, on one line. */
export const describeRun = (f: RunFigures): string => {
  const d = f.diagnostics;
  const others = Object.entries(f.statuses).filter(([code]) => !code.startsWith('2'));
  return (
    `${f.requestsPerSecond} req/s, p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, CPU ms/request ${f.cpuMsPerRequest.server} (PostgreSQL ${f.cpuMsPerRequest.postgres})` +
    (d
      ? `, waiting for a connection ${round(d.pool.waitingMean)} (max ${d.pool.waitingMax}), connections busy ${round(d.pool.busyMean)}` +
        `, event-loop delay p99 ${round(d.eventLoopDelayMs.p99)} ms, utilisation ${round(d.eventLoopUtilization * 100, 0)}%` +
        `, GC ${d.gc.count} pauses ${round(d.gc.ms, 0)} ms (${d.gc.major} major, longest ${round(d.gc.maxMs)} ms)`
      : '') +
    (others.length > 0 ? `, not 2xx: ${others.map(([code, n]) => `${n} x ${code}`).join(', ')}` : '') +
    (f.errors > 0 ? `, ${f.errors} errors or timeouts` : '')
  );
};

export interface Series {
  label: string;
  runs: RunFigures[];
  /** Median, lowest and highest req/s of the runs, and (highest - lowest) / median. */
  requestsPerSecond: { median: number; min: number; max: number; spread: number };
  p99Ms: number;
  cpuMsPerRequest: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

export const seriesOf = (label: string, runs: RunFigures[]): Series => {
  const rates = runs.map((r) => r.requestsPerSecond);
  const mid = median(rates);
  return {
    label,
    runs,
    requestsPerSecond: { median: mid, min: Math.min(...rates), max: Math.max(...rates), spread: round((Math.max(...rates) - Math.min(...rates)) / mid, 2) },
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuMsPerRequest: round(median(runs.map((r) => r.cpuMsPerRequest.server)), 3),
  };
};

/**
 * Starts every server, then runs `runs` rounds, each measuring every server once in turn; the
 * servers stop at the end whatever happens. One series per server, in the order given.
 */
export const alternatingRuns = async (ctx: WarmContext, servers: WarmServer[], load: WarmLoad, runs: number): Promise<Series[]> => {
  const instances: Instance[] = [];
  try {
    for (const server of servers) instances.push(await startWarm(ctx, server, load));
    const figures = instances.map(() => [] as RunFigures[]);
    for (let round = 1; round <= runs; round++) {
      for (const [i, instance] of instances.entries()) {
        const run = await measureRun(instance, load);
        figures[i]?.push(run);
        ctx.log(`warm run ${round}/${runs}, ${instance.server.label}: ${describeRun(run)}`);
      }
    }
    return instances.map((instance, i) => seriesOf(instance.server.label, figures[i] ?? []));
  } finally {
    await Promise.all(instances.map((instance) => instance.child.stop()));
  }
};

/** The run of a series whose req/s is the median (the lower middle one of an even count). */
export const medianRun = (series: Series): RunFigures => {
  const sorted = [...series.runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[(sorted.length - 1) >> 1] as RunFigures;
};

/** A series as the one-run figures the report's table reads: its median run, with every run's req/s beside. */
export const summary = (series: Series) => {
  const run = medianRun(series);
  const non2xx = Object.entries(run.statuses).reduce((sum, [code, n]) => (code.startsWith('2') ? sum : sum + n), 0);
  return {
    label: series.label,
    requestsPerSecond: run.requestsPerSecond,
    requests: run.requests,
    p50Ms: run.p50Ms,
    p95Ms: run.p95Ms,
    p99Ms: run.p99Ms,
    maxMs: run.maxMs,
    non2xx,
    errors: run.errors,
    timeouts: 0,
    cpuMsPerRequest: run.cpuMsPerRequest,
    runs: series.runs.map((r) => r.requestsPerSecond),
    spread: series.requestsPerSecond.spread,
    diagnostics: run.diagnostics,
    failure: non2xx + run.errors > 0 ? `${non2xx} answers not 2xx and ${run.errors} errors in the median run` : undefined,
  };
};

/** The report's rows of what explains the runs: req/s of each run and the median run's diagnostics. */
export const warmRows = (series: ReturnType<typeof summary>[], fmt: (value: number) => string): string[][] => {
  const [ours, ...baselines] = series;
  if (!ours) return [];
  const cell = (s: ReturnType<typeof summary> | undefined, pick: (s: ReturnType<typeof summary>) => string) => (s ? pick(s) : '');
  const row = (title: string, pick: (s: ReturnType<typeof summary>) => string) => [
    title,
    pick(ours),
    cell(baselines[0], (s) => `${pick(s)} (a)`),
    cell(baselines[1], pick),
    '',
    '',
    '',
  ];
  const d = (pick: (x: Diagnostics) => number) => (s: ReturnType<typeof summary>) => (s.diagnostics ? fmt(round(pick(s.diagnostics), 1)) : 'n/a');
  return [
    row(`  req/s of each run, alternating (spread)`, (s) => `${s.runs.join(' ')} (${fmt(s.spread)})`),
    row(
      `  requests waiting for a pooled connection, mean`,
      d((x) => x.pool.waitingMean),
    ),
    row(
      `  event-loop delay p99 (ms)`,
      d((x) => x.eventLoopDelayMs.p99),
    ),
    row(
      `  event-loop utilisation (%)`,
      d((x) => x.eventLoopUtilization * 100),
    ),
    row(`  GC pause per 1000 requests (ms)`, (s) => (s.diagnostics ? fmt(round((s.diagnostics.gc.ms * 1000) / Math.max(1, s.requests), 1)) : 'n/a')),
  ];
};
