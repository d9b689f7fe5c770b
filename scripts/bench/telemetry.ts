// `npm run bench -- telemetry`: what OpenTelemetry costs one deployed function (the bundle of
// billing-create-invoice), with no OTLP endpoint set beside tracing and metrics on, in one run:
// cold start (spawn to first answer, median, the two alternating), warm POST /billing/invoices
// (req/s, p99, CPU ms per request of the function's process), and what the process reads: the
// function's bundle alone, or the SDK's bundle too (its start line says so). The export goes over
// OTLP/HTTP (http/protobuf, the default) to a sink in this process that answers 200 and keeps nothing.
import { createServer, type Server } from 'node:http';
import { readFileSync, statSync } from 'node:fs';

export interface ColdRun {
  readyMs: number;
  /** The child's log, read once it stopped. */
  logFile: string;
}

export interface TelemetryLoad {
  requestsPerSecond: number;
  p99Ms: number;
  cpuMsPerRequest?: { server: number; postgres: number };
  failure?: string;
}

export interface TelemetryContext {
  runs: number;
  /** The function's bundle and the SDK's. */
  bundles: { function: string; sdk: string };
  /** Starts the function with `extra` in its environment, to its first answer, and stops it. */
  coldStart(extra: NodeJS.ProcessEnv, name: string): Promise<ColdRun>;
  /** The warm load of the function with `extra` in its environment. */
  load(extra: NodeJS.ProcessEnv, name: string): Promise<TelemetryLoad>;
  log(message: string): void;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** An OTLP/HTTP endpoint that takes every export and keeps nothing. */
const startSink = async (): Promise<{ url: string; requests: () => number; server: Server }> => {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests: () => requests, server };
};

const SDK_STARTED = 'telemetry exporting over OTLP';

export const telemetryScenario = async (ctx: TelemetryContext) => {
  const sink = await startSink();
  const modes = {
    off: {} as NodeJS.ProcessEnv,
    on: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_METRIC_EXPORT_INTERVAL: '5000' } as NodeJS.ProcessEnv,
  };
  try {
    const cold = { off: [] as number[], on: [] as number[] };
    const sdkRead = { off: 0, on: 0 };
    // One discarded start each warms the file cache; then the two alternate, so drift hits both.
    for (let i = -1; i < ctx.runs; i++) {
      for (const mode of ['off', 'on'] as const) {
        const run = await ctx.coldStart({ ...modes[mode], LOG_LEVEL: 'info' }, `telemetry-cold-${mode}`);
        if (i < 0) continue;
        cold[mode].push(run.readyMs);
        if (readFileSync(run.logFile, 'utf8').includes(SDK_STARTED)) sdkRead[mode]++;
      }
      if (i >= 0) ctx.log(`telemetry cold start ${i + 1}/${ctx.runs}: none ${round(cold.off.at(-1) as number)} ms, on ${round(cold.on.at(-1) as number)} ms`);
    }
    const warm = { off: await ctx.load(modes.off, 'telemetry-warm-off'), on: await ctx.load(modes.on, 'telemetry-warm-on') };
    return {
      runs: ctx.runs,
      cold: { offMs: round(median(cold.off)), onMs: round(median(cold.on)), offRunsMs: cold.off.map((v) => round(v)), onRunsMs: cold.on.map((v) => round(v)) },
      sdkLoaded: { off: `${sdkRead.off}/${ctx.runs}`, on: `${sdkRead.on}/${ctx.runs}` },
      bundleKiB: { function: round(statSync(ctx.bundles.function).size / 1024), sdk: round(statSync(ctx.bundles.sdk).size / 1024) },
      warm,
      exportRequests: sink.requests(),
    };
  } finally {
    await new Promise<void>((resolve) => sink.server.close(() => resolve()));
  }
};

export type TelemetryFigures = Awaited<ReturnType<typeof telemetryScenario>>;

/** The rows of the report's table: figure, none, on, ratio. */
export const telemetryRows = (t: TelemetryFigures): string[][] => {
  const fmt = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? String(value) : 'n/a');
  const ratio = (off: number | undefined, on: number | undefined) => (off && on ? `${fmt(round(on / off, 2))}x` : '');
  const { off, on } = t.warm;
  return [
    ['telemetry: no OTLP endpoint vs traces and metrics on (http/protobuf)', 'none', 'on', '', '', '', ''],
    [`  cold start, median of ${t.runs} (ms)`, fmt(t.cold.offMs), fmt(t.cold.onMs), '', ratio(t.cold.offMs, t.cold.onMs), '', ''],
    [`  SDK bundle read at start (runs)`, t.sdkLoaded.off, t.sdkLoaded.on, '', '', '', ''],
    [`  bundles (KiB): the function's / the SDK's`, fmt(t.bundleKiB.function), fmt(t.bundleKiB.sdk), '', '', '', ''],
    [
      `  warm POST /billing/invoices req/s`,
      fmt(off.requestsPerSecond),
      fmt(on.requestsPerSecond),
      '',
      ratio(off.requestsPerSecond, on.requestsPerSecond),
      '',
      '',
    ],
    [`  warm latency p99 (ms)`, fmt(off.p99Ms), fmt(on.p99Ms), '', ratio(off.p99Ms, on.p99Ms), '', ''],
    [
      `  CPU ms per request, the function's process`,
      fmt(off.cpuMsPerRequest?.server),
      fmt(on.cpuMsPerRequest?.server),
      '',
      ratio(off.cpuMsPerRequest?.server, on.cpuMsPerRequest?.server),
      '',
      '',
    ],
  ];
};
