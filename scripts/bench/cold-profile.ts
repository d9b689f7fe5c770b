// npm run bench -- cold-profile: where one function bundle's cold start goes (dist/functions/
// billing-create-invoice.js, as its container runs it), beside the functions-framework hello world
// and a bare node:http hello world, in one run, the starts alternating so drift hits all alike:
//   first answer   spawn to the first HTTP answer (GET /, what `cold` measures), median of
//                  BENCH_COLD_RUNS;
//   first 201      spawn to the first 201 of POST /billing/invoices: token checked, body validated,
//                  PostgreSQL connected, the invoice stored;
//   CPU            each of these starts again with a preload (fixtures/cold-trace.cjs) that notes the
//                  process's CPU time when its first answer is written: a figure that a busy machine
//                  skews far less than the time;
//   phases         ours with that preload, which also notes when node runs,
//                  when the bundle, read and compiled, begins to run, when it listens, when the first
//                  request arrives and is answered, and the pool's first connection; and a second
//                  request beside the first, so the first one's extra work shows.
// Under this node, and under BENCH_NODE too when set (another release, e.g. 22 or 24); where the
// release has a module compile cache (node 22.1+), also with NODE_COMPILE_CACHE primed by a start
// before the measured ones, as an image built with its cache starts. BENCH_COLD_BEFORE names
// another build of the same function (an older commit's dist/functions/billing-create-invoice.js),
// measured beside ours in the same run: a change's effect as a ratio of one run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, temporaryDir, waitForHttp, request, type Answer } from './processes.js';

export interface ColdProfileContext {
  runs: number;
  /** Node binaries to compare: this process's, then BENCH_NODE's when set. */
  nodes: string[];
  root: string;
  logs: string;
  /** The bundles measured: ours, and maybe an older build of the same function. */
  bundles: { name: string; path: string }[];
  ffMain: string;
  fixtures: string;
  /** The environment of a function's process listening on `port`. */
  env(port: number): NodeJS.ProcessEnv;
  /** The command the first-201 starts send: a valid POST /billing/invoices. */
  command: { path: string; headers: Record<string, string>; body: string };
  log(message: string): void;
}

interface Variant {
  key: string;
  args(port: number): string[];
  /** First answer is the command's 201 rather than any answer to GET /. */
  command?: boolean;
  /** Started with the preload of fixtures/cold-trace.cjs: its CPU time to its first answer. */
  traced?: boolean;
  /** The bundle whose phases this traced start gives. */
  phasesOf?: string;
  cache?: boolean;
}

const PHASES = [
  ['spawn to node running its preloads', 'spawn', 'preload'],
  ['bundle read and compiled', 'preload', 'evaluate'],
  ['top-level code run, to listen()', 'evaluate', 'listen'],
  ['listen() to the first request', 'listen', 'request'],
  ['first request, arrival to answer', 'request', 'answered'],
  ['  of which PostgreSQL connect to ready', 'pg-connect', 'pg-ready'],
] as const;

export interface NodeFigures {
  node: string;
  version: string;
  compileCache: boolean;
  /** Median ms per variant (`<key>Cpu`: CPU ms of its traced start), and every run. */
  medians: Record<string, number>;
  runs: Record<string, number[]>;
  /** Per bundle: median ms per phase of the traced start (first 201), and the second command's round trip. */
  phases: Record<string, Record<string, number>>;
}

export interface ColdProfileFigures {
  runs: number;
  bundles: { name: string; path: string; bytes: number }[];
  nodes: NodeFigures[];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const epochMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const nodeInfo = (node: string) => {
  const out = execFileSync(node, ['-p', "process.version + ' ' + typeof require('node:module').enableCompileCache"], { encoding: 'utf8' }).trim();
  const [version = '?', cache] = out.split(' ');
  return { version, compileCache: cache === 'function' };
};

const variantsFor = (ctx: ColdProfileContext, compileCache: boolean): Variant[] => {
  const ff = (port: number) => [ctx.ffMain, '--target=hello', `--source=${join(ctx.fixtures, 'hello.cjs')}`, `--port=${port}`];
  const traced = (v: Variant, phasesOf?: string): Variant => ({
    ...v,
    key: `${v.key}Cpu`,
    args: (port) => ['--require', join(ctx.fixtures, 'cold-trace.cjs'), ...v.args(port)],
    traced: true,
    phasesOf,
  });
  const http: Variant = { key: 'http', args: () => [join(ctx.fixtures, 'hello-http.cjs')] };
  const variants: Variant[] = [http, traced(http), { key: 'ff', args: ff }, traced({ key: 'ff', args: ff })];
  const ffCache: Variant = { key: 'ffCache', args: ff, cache: true };
  if (compileCache) variants.push(ffCache, traced(ffCache));
  for (const { name, path } of ctx.bundles) {
    const first: Variant = { key: name, args: () => [path] };
    const command: Variant = { key: `${name}Command`, args: () => [path], command: true };
    variants.push(first, traced(first), command, traced(command, name));
    if (compileCache) {
      const cached: Variant = { key: `${name}Cache`, args: () => [path], cache: true };
      const cachedCommand: Variant = { key: `${name}CommandCache`, args: () => [path], command: true, cache: true };
      variants.push(cached, traced(cached), cachedCommand, traced(cachedCommand));
    }
  }
  return variants;
};

const readTrace = (file: string): Record<string, number> => {
  const marks: Record<string, number> = {};
  if (!existsSync(file)) return marks;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [name, at] = line.split(' ');
    if (name && at) marks[name] = Number(at);
  }
  return marks;
};

interface Start {
  readyMs: number;
  cpuMs?: number;
  phases?: Record<string, number>;
}

const medianPhases = (traced: Record<string, number>[]): Record<string, number> => {
  const names = [...new Set(traced.flatMap((x) => Object.keys(x)))];
  return Object.fromEntries(names.map((n) => [n, round(median(traced.flatMap((x) => (x[n] === undefined ? [] : [x[n]]))))]));
};

const phasesOf = (marks: Record<string, number>): Record<string, number> => {
  const phases: Record<string, number> = {};
  for (const [label, from, to] of PHASES) {
    const a = marks[from];
    const b = marks[to];
    if (a !== undefined && b !== undefined) phases[label] = b - a;
  }
  return phases;
};

const startOnce = async (ctx: ColdProfileContext, node: string, v: Variant, cacheDir: string, name: string): Promise<Start> => {
  const port = await freePort();
  const traceFile = join(ctx.logs, `${name}.trace`);
  rmSync(traceFile, { force: true });
  const env: NodeJS.ProcessEnv = { ...ctx.env(port), ...(v.traced ? { BENCH_COLD_TRACE: traceFile } : {}) };
  if (v.cache) env.NODE_COMPILE_CACHE = cacheDir;
  else delete env.NODE_COMPILE_CACHE;
  const spawned = epochMs();
  const child = startProcess(node, v.args(port), { cwd: ctx.root, env, logFile: join(ctx.logs, `${name}.log`) });
  let readyMs: number;
  let secondMs: number | undefined;
  try {
    const asked = v.command ? { method: 'POST', ...ctx.command } : { path: '/' };
    const first: Answer = await waitForHttp(port, child, { ...asked, deadlineMs: 30_000, intervalMs: 2 });
    readyMs = epochMs() - spawned;
    if (v.command && first.status !== 201) throw new Error(`${name}: POST ${ctx.command.path} answered ${first.status}: ${first.body.slice(0, 300)}`);
    // Its last line is written as its answer leaves: wait for it before stopping the process.
    const deadline = performance.now() + 2_000;
    while (v.traced && readTrace(traceFile).cpu === undefined && performance.now() < deadline) await sleep(5);
    if (v.phasesOf) {
      const before = performance.now();
      const second = await request(port, { method: 'POST', ...ctx.command });
      secondMs = performance.now() - before;
      if (second.status !== 201) throw new Error(`${name}: the second POST answered ${second.status}`);
    }
  } finally {
    await child.stop();
  }
  if (!v.traced) return { readyMs };
  const marks: Record<string, number> = { spawn: spawned, ...readTrace(traceFile) };
  if (secondMs === undefined) return { readyMs, cpuMs: marks.cpu };
  return { readyMs, cpuMs: marks.cpu, phases: { ...phasesOf(marks), 'second request, round trip': secondMs } };
};

export const coldProfileScenario = async (ctx: ColdProfileContext): Promise<ColdProfileFigures> => {
  mkdirSync(ctx.logs, { recursive: true });
  const cacheRoot = temporaryDir('gotuto-compile-cache-');
  try {
    const nodes = ctx.nodes.map((node, i) => ({ node, index: i, ...nodeInfo(node), cacheDir: join(cacheRoot.path, String(i)) }));
    const plans = nodes.map((n) => ({
      ...n,
      variants: variantsFor(ctx, n.compileCache),
      runs: new Map<string, number[]>(),
      phases: new Map<string, Record<string, number>[]>(),
    }));
    const name = (p: (typeof plans)[number], v: Variant) => `cold-profile-${p.index}-${v.key}`;
    // One discarded start of each warms the file cache and, where there is one, fills the compile cache.
    for (const p of plans) for (const v of p.variants) await startOnce(ctx, p.node, v, p.cacheDir, name(p, v));
    for (let i = 0; i < ctx.runs; i++) {
      for (const p of plans) {
        for (const v of p.variants) {
          const start = await startOnce(ctx, p.node, v, p.cacheDir, name(p, v));
          // A traced start counts for its CPU; its time, with the preload's writes in it, is left out.
          if (!v.traced) p.runs.set(v.key, [...(p.runs.get(v.key) ?? []), round(start.readyMs)]);
          if (start.cpuMs !== undefined) p.runs.set(v.key, [...(p.runs.get(v.key) ?? []), round(start.cpuMs)]);
          if (v.phasesOf && start.phases) p.phases.set(v.phasesOf, [...(p.phases.get(v.phasesOf) ?? []), start.phases]);
        }
        const last = (key: string) => p.runs.get(key)?.at(-1) ?? NaN;
        const bundles = ctx.bundles.map(
          ({ name }) =>
            `${name} ${last(name)} ms (first 201 ${last(`${name}Command`)}` +
            (p.compileCache ? `; cached ${last(`${name}Cache`)}, ${last(`${name}CommandCache`)})` : ')'),
        );
        ctx.log(
          `cold profile ${i + 1}/${ctx.runs}, node ${p.version}: ${bundles.join(', ')}, FF hello ${last('ff')}` +
            (p.compileCache ? ` (cached ${last('ffCache')})` : '') +
            `, node:http hello ${last('http')}`,
        );
      }
    }
    return {
      runs: ctx.runs,
      bundles: ctx.bundles.map((b) => ({ ...b, bytes: statSync(b.path).size })),
      nodes: plans.map((p) => ({
        node: p.node,
        version: p.version,
        compileCache: p.compileCache,
        runs: Object.fromEntries(p.runs),
        medians: Object.fromEntries([...p.runs].map(([k, v]) => [k, round(median(v))])),
        phases: Object.fromEntries([...p.phases].map(([name, traced]) => [name, medianPhases(traced)])),
      })),
    };
  } finally {
    cacheRoot.remove();
  }
};

/** Rows of the bench's table: figure, ours, baseline, node:http, ratio, target, mark. */
export const coldProfileRows = (f: ColdProfileFigures, targetRatio: number): string[][] => {
  const fmt = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? String(value) : 'n/a');
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b, 2) : NaN);
  const rows: string[][] = [];
  for (const n of f.nodes) {
    const m = n.medians;
    const row = (label: string, ours: number | undefined, ff: number | undefined, http: number | undefined, ffLabel = 'FF hello') => {
      const r = ratio(ours, ff);
      rows.push([
        label,
        fmt(ours),
        `${fmt(ff)} ${ffLabel}`,
        fmt(http),
        `${fmt(r)}x`,
        `<= ${targetRatio}x`,
        Number.isFinite(r) && r <= targetRatio ? 'ok' : 'MISSED',
      ]);
    };
    for (const b of f.bundles) {
      const head = `cold profile, ${b.name} (${round(b.bytes / 1024)} KB), node ${n.version}, median of ${f.runs}`;
      row(`${head}: spawn to first answer (ms)`, m[b.name], m.ff, m.http);
      row(`${head}: CPU to first answer (ms)`, m[`${b.name}Cpu`], m.ffCpu, m.httpCpu);
      row(`${head}: spawn to first 201 of the command (ms)`, m[`${b.name}Command`], m.ff, m.http);
      row(`${head}: CPU to first 201 of the command (ms)`, m[`${b.name}CommandCpu`], m.ffCpu, m.httpCpu);
      if (n.compileCache) {
        row(`${head}, compile cache: spawn to first answer (ms)`, m[`${b.name}Cache`], m.ffCache, m.http, 'FF hello, cache');
        row(`${head}, compile cache: CPU to first answer (ms)`, m[`${b.name}CacheCpu`], m.ffCacheCpu, m.httpCpu, 'FF hello, cache');
        row(`${head}, compile cache: first 201 (ms)`, m[`${b.name}CommandCache`], m.ffCache, m.http, 'FF hello, cache');
        row(`${head}, compile cache: CPU to first 201 (ms)`, m[`${b.name}CommandCacheCpu`], m.ffCacheCpu, m.httpCpu, 'FF hello, cache');
      }
      rows.push([`  phases of ${b.name} to its first 201, median (ms)`, '', '', '', '', '', '']);
      for (const [label, ms] of Object.entries(n.phases[b.name] ?? {})) rows.push([`    ${label}`, fmt(ms), '', '', '', '', '']);
    }
    if (n.compileCache) rows.push([`  node ${n.version}: FF hello without the compile cache (ms)`, '', fmt(m.ff), '', '', '', '']);
  }
  return rows;
};
