// npm run bench -- start: how long `npm start` takes, from spawn to the first 200 of /healthz,
// on embedded PostgreSQL (DATABASE_URL unset in its environment), on a free PORT:
//   empty     a new, empty data directory: PGlite initialises its files, every migration runs,
//             the JWT secret is generated;
//   existing  the same directory again, right after: the database is there and up to date.
// Between the two, and after, the whole process group (npm, sh, tsx, node) gets SIGTERM and the
// next start waits until all of it is gone (SIGKILL after 20 s). BENCH_START_RUNS (3) pairs, each
// on its own new directory, medians reported; a pair is only started when it fits in the time
// budget the caller gives (then the figures are of fewer runs, and the result says so).
import { join } from 'node:path';
import { freePort, startProcess, temporaryDir, waitForHttp } from './processes.js';

export interface StartupSettings {
  runs: number;
  /** Time for all the runs; a pair that would not fit is not started. */
  budgetMs: number;
  /** Longest one start may take. */
  deadlineMs: number;
}

interface Timing {
  medianS: number;
  runsS: number[];
}

export interface StartupResult {
  planned: number;
  runs: number;
  empty: Timing;
  existing: Timing;
  /** SIGTERM to the process group until every process of it is gone (s). */
  stopS: number[];
  /** Why fewer runs than planned. */
  note?: string;
}

interface Context {
  root: string;
  logs: string;
  settings: StartupSettings;
  log(message: string): void;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const startEnv = (dataDir: string, port: number): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', GOTUTO_DATA_DIR: dataDir };
  for (const name of Object.keys(env)) if (name === 'DATABASE_URL' || name.endsWith('_DATABASE_URL')) delete env[name];
  // As a user's first start: the platform generates its secret into the data directory.
  delete env.JWT_SECRET;
  delete env.K_SINK;
  delete env.KAFKA_BROKERS;
  return env;
};

/** One `npm start`: seconds to /healthz 200, then stopped; seconds to stop. */
const startOnce = async (ctx: Context, dataDir: string, name: string): Promise<{ readyS: number; stopS: number }> => {
  const port = await freePort();
  const started = performance.now();
  const child = startProcess('npm', ['start'], { cwd: ctx.root, env: startEnv(dataDir, port), logFile: join(ctx.logs, `start-${name}.log`), group: true });
  try {
    const deadline = started + ctx.settings.deadlineMs;
    // The gateway listens before it is ready: 503 until every function is registered.
    for (;;) {
      const answer = await waitForHttp(port, child, {
        path: '/healthz',
        deadlineMs: Math.max(0, deadline - performance.now()),
        intervalMs: 25,
        timeoutMs: 2_000,
      });
      if (answer.status === 200) break;
      if (performance.now() > deadline) throw new Error(`npm start answered /healthz ${answer.status} after ${ctx.settings.deadlineMs} ms:\n${child.output()}`);
      await sleep(25);
    }
    const readyS = (performance.now() - started) / 1000;
    const stopping = performance.now();
    await child.stop(20_000);
    return { readyS, stopS: (performance.now() - stopping) / 1000 };
  } finally {
    await child.stop(5_000);
  }
};

export const startupScenario = async (ctx: Context): Promise<StartupResult> => {
  const { settings, log } = ctx;
  const empty: number[] = [];
  const existing: number[] = [];
  const stopS: number[] = [];
  const began = performance.now();
  let note: string | undefined;
  for (let i = 0; i < settings.runs; i++) {
    if (i > 0) {
      const perPair = (performance.now() - began) / i;
      if (performance.now() - began + perPair * 1.2 > settings.budgetMs) {
        note = `${i} of ${settings.runs} runs: another pair (~${Math.round(perPair / 1000)} s) would not fit in the ${Math.round(settings.budgetMs / 1000)} s budget`;
        log(`npm start: ${note}`);
        break;
      }
    }
    const dataDir = temporaryDir('gotuto-bench-start-');
    try {
      const first = await startOnce(ctx, dataDir.path, 'empty');
      const second = await startOnce(ctx, dataDir.path, 'existing');
      empty.push(first.readyS);
      existing.push(second.readyS);
      stopS.push(round(first.stopS), round(second.stopS));
      log(
        `npm start ${i + 1}/${settings.runs}: empty data dir ${round(first.readyS)} s, existing ${round(second.readyS)} s` +
          ` (stops ${round(first.stopS)} s, ${round(second.stopS)} s)`,
      );
    } finally {
      dataDir.remove();
    }
  }
  const result: StartupResult = {
    planned: settings.runs,
    runs: empty.length,
    empty: { medianS: round(median(empty)), runsS: empty.map((v) => round(v)) },
    existing: { medianS: round(median(existing)), runsS: existing.map((v) => round(v)) },
    stopS,
  };
  if (note) result.note = note;
  return result;
};
