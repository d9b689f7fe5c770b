// npm run bench -- startup: what checking delivery tokens costs an event handler, measured on the
// bundle a container runs (dist/functions/billing-on-customer-registered.js, on DATABASE_URL):
//   cold start    spawn to the first delivery answered 204 (in token mode that includes discovering
//                 the issuer and reading its keys), median of BENCH_STARTUP_RUNS (5);
//   CPU/delivery  the process's CPU time per delivery over BENCH_STARTUP_DELIVERIES (300), 10 in
//                 flight, after a warm-up;
// each with DELIVERY_AUTH=token (a token per audience reused, as brokers cache it), token with a new
// token on every delivery (the signature checked each time), and DELIVERY_AUTH=network-policy (no
// check: the figures before sender identity), in one run, alternating so drift hits all.
// The issuer (discovery document and JWKS) is served by this process, like the local platform's.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { toBinaryHttp } from '../../events/index.js';
import { issuerDocument, newSigningKey, signDeliveryToken, type Issuer } from '../../functions/runtime/delivery-token.js';
import { processCpuMs } from './cpu.js';
import { freePort, request, startProcess, waitForHttp } from './processes.js';

const HANDLER = 'billing-on-customer-registered';
const IN_FLIGHT = 10;
const WARMUP = 50;

export interface DeliveryAuthSettings {
  runs: number;
  deliveries: number;
}

interface Context {
  dist: string;
  root: string;
  logs: string;
  databaseUrl: string;
  settings: DeliveryAuthSettings;
  log(message: string): void;
}

type Mode = 'token' | 'fresh-token' | 'network-policy';
const MODES: Mode[] = ['network-policy', 'token', 'fresh-token'];

export interface ModeFigures {
  coldStartMs: { median: number; runs: number[] };
  cpuMsPerDelivery: number;
}

export type DeliveryAuthFigures = { handler: string; runs: number; deliveries: number } & Record<Mode, ModeFigures>;

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const startIssuer = async (): Promise<{ issuer: Issuer; server: Server }> => {
  const issuer: Issuer = { url: '', key: await newSigningKey() };
  const server = createServer((req, res) => {
    const body = issuerDocument(issuer, req.url ?? '');
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, server };
};

/** A customer-registered of a new customer: each delivery makes one Billing client. */
const registration = () => {
  const customerId = randomUUID();
  return toBinaryHttp({
    id: randomUUID(),
    type: 'com.gotuto.customer.customer-registered.v1',
    source: '/gotuto/customer',
    subject: customerId,
    time: new Date().toISOString(),
    data: { customerId, email: `bench-${customerId}@example.com`, name: 'Bench Customer', role: 'customer' },
  });
};

const deliver = async (port: number, token: string | undefined) => {
  const { headers, body } = registration();
  const answer = await request(port, { method: 'POST', path: '/', headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers, body });
  if (answer.status !== 204) throw new Error(`${HANDLER} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
};

const spawnHandler = async (ctx: Context, issuer: Issuer, mode: Mode, name: string) => {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: ctx.databaseUrl,
    DELIVERY_AUTH: mode === 'network-policy' ? 'network-policy' : 'token',
    DELIVERY_TOKEN_ISSUER: issuer.url,
  };
  for (const unset of ['K_SINK', 'KAFKA_BROKERS', 'BILLING_DATABASE_URL', 'PUBLISHER_TOKEN_FILE']) delete env[unset];
  const started = performance.now();
  const child = startProcess(process.execPath, [join(ctx.dist, 'functions', `${HANDLER}.js`)], { cwd: ctx.root, env, logFile: join(ctx.logs, `${name}.log`) });
  await waitForHttp(port, child, { path: '/healthz', deadlineMs: 30_000, intervalMs: 2 });
  return { child, port, started };
};

/** The token each delivery of `mode` carries: one reused, a new one each time, or none. */
const tokens = (issuer: Issuer, mode: Mode) => {
  let reused: Promise<string> | undefined;
  return (): Promise<string | undefined> => {
    if (mode === 'network-policy') return Promise.resolve(undefined);
    if (mode === 'token') return (reused ??= signDeliveryToken(issuer, HANDLER, { subject: 'bench' }));
    return signDeliveryToken(issuer, HANDLER, { subject: 'bench' });
  };
};

const coldStart = async (ctx: Context, issuer: Issuer, mode: Mode, run: number): Promise<number> => {
  const token = await tokens(issuer, mode)();
  const { child, port, started } = await spawnHandler(ctx, issuer, mode, `startup-${mode}-${run}`);
  try {
    await deliver(port, token);
    return performance.now() - started;
  } finally {
    await child.stop();
  }
};

const cpuPerDelivery = async (ctx: Context, issuer: Issuer, mode: Mode): Promise<number> => {
  const next = tokens(issuer, mode);
  // Tokens are signed before the clock starts: the figure is the receiver's cost only.
  const signed = await Promise.all(Array.from({ length: WARMUP + ctx.settings.deliveries }, () => next()));
  const { child, port } = await spawnHandler(ctx, issuer, mode, `startup-cpu-${mode}`);
  const send = async (from: number, count: number) => {
    let i = from;
    const lane = async () => {
      while (i < from + count) await deliver(port, signed[i++]);
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  };
  try {
    await send(0, WARMUP);
    const before = processCpuMs(child.pid) ?? NaN;
    await send(WARMUP, ctx.settings.deliveries);
    return ((processCpuMs(child.pid) ?? NaN) - before) / ctx.settings.deliveries;
  } finally {
    await child.stop();
  }
};

export const deliveryAuthScenario = async (ctx: Context): Promise<DeliveryAuthFigures> => {
  const { issuer, server } = await startIssuer();
  try {
    const starts: Record<Mode, number[]> = { token: [], 'fresh-token': [], 'network-policy': [] };
    for (let run = 0; run < ctx.settings.runs; run++) {
      for (const mode of MODES) starts[mode].push(await coldStart(ctx, issuer, mode, run));
      ctx.log(`startup ${run + 1}/${ctx.settings.runs}: ${MODES.map((m) => `${m} ${round(starts[m].at(-1) as number, 1)} ms`).join(', ')}`);
    }
    const figures = { handler: HANDLER, runs: ctx.settings.runs, deliveries: ctx.settings.deliveries } as DeliveryAuthFigures;
    for (const mode of MODES) {
      const cpu = await cpuPerDelivery(ctx, issuer, mode);
      ctx.log(`startup: ${mode}, ${round(cpu, 3)} CPU ms per delivery`);
      figures[mode] = { coldStartMs: { median: round(median(starts[mode]), 1), runs: starts[mode].map((v) => round(v, 1)) }, cpuMsPerDelivery: round(cpu, 3) };
    }
    return figures;
  } finally {
    server.close();
  }
};
