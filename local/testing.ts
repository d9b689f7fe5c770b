// Starts the local platform for a test file: on a fresh database of DATABASE_URL's server when set,
// else on embedded PostgreSQL in a temporary data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { localOnlyFunctions, registry } from '../functions/index.js';
import { createDatabase } from '../functions/runtime/db.js';
import type { RegisteredFunction } from '../functions/runtime/definition.js';
import { functionRoutes } from '../functions/runtime/registry.js';
import { directTarget } from './mounts.js';
import { checkGatewayResponse, checkResponse } from '../scripts/contracts/response-testing.js';
import { publisherTokenFile } from './identity.js';
import { startPlatform, type Platform, type PlatformOptions } from './platform.js';

process.env.LOG_LEVEL ??= 'warn';

export interface TestEnvironment {
  dataDir: string;
  /** The broker's Kafka topic when KAFKA_BROKERS is set. */
  topic?: string;
  /** Starts (or restarts) the platform on this environment's database and data directory. */
  start(options?: PlatformOptions): Promise<Platform>;
  dispose(): Promise<void>;
}

/** Deletes a test's broker topic and the consumer groups named after it. */
export const deleteKafkaTopic = async (brokers: string, topic: string): Promise<void> => {
  const admin = new Kafka({ clientId: 'gotuto-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${topic}.`));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
};

/** `Authorization` with the publisher token the started platform keeps fresh: what `POST /broker` admits. */
export { publisherHeaders } from '../functions/runtime/token-source.js';

/** The same for an `npm start` running on `dataDir` in another process. */
export const publisherHeadersIn = (dataDir: string): Record<string, string> => ({
  authorization: `Bearer ${readFileSync(publisherTokenFile(dataDir), 'utf8').trim()}`,
});

/** A fresh database on a server, for a test file of its own (functions/runtime/db.ts). */
export { createDatabase };

/** A TCP port nothing listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

export interface SpawnedPlatform {
  url: string;
  /** What it printed so far. */
  output: string[];
  /** Signals its process group and waits for it to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
  child: ChildProcess;
}

/** `npm start` as a user runs it, with `env`, on a free port; resolves once /healthz answers. */
export const spawnPlatform = async (env: NodeJS.ProcessEnv): Promise<SpawnedPlatform> => {
  const port = await freePort();
  const output: string[] = [];
  const child = spawn('npm', ['start'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(-child.pid, signal);
      await exited;
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited: ${output.join('')}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, output, kill, child };
    await new Promise((r) => setTimeout(r, 250));
  }
  await kill('SIGKILL');
  throw new Error(`npm start did not answer /healthz: ${output.join('')}`);
};

export const createTestEnvironment = async (): Promise<TestEnvironment> => {
  const adminUrl = process.env.GOTUTO_TEST_ADMIN_URL ?? process.env.DATABASE_URL;
  if (adminUrl) process.env.GOTUTO_TEST_ADMIN_URL = adminUrl;
  const dataDir = mkdtempSync(join(tmpdir(), 'gotuto-platform-'));
  const database = adminUrl ? await createDatabase(adminUrl, 'gotuto_platform') : undefined;
  const databaseUrl = database?.url;
  // Over Kafka, each environment has a broker topic (and so consumer groups) of its own.
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const topic = kafkaBrokers ? `gotuto-test-${randomUUID().slice(0, 12)}` : undefined;
  let running: Platform | undefined;
  return {
    dataDir,
    topic,
    start: async (options = {}) => {
      if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
      else delete process.env.DATABASE_URL;
      if (topic) process.env.KAFKA_BROKER_TOPIC = topic;
      running = await startPlatform({ port: 0, dataDir, brokerPollMs: 20, ...options });
      const platform = running;
      const stop = platform.stop;
      platform.stop = async () => {
        await stop();
        if (running === platform) running = undefined;
      };
      return platform;
    },
    dispose: async () => {
      if (running) await running.stop();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
      if (kafkaBrokers && topic) await deleteKafkaTopic(kafkaBrokers, topic);
    },
  };
};

export type Answer = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const served = [...registry, ...localOnlyFunctions];
const routes = functionRoutes(served);

/**
 * Checks an answer of the gateway against the published contract: of the function the gateway
 * routes `method path` to (by the gateway's rule, or by name at /functions/<name>/...), else of the
 * gateway's own route. A function only a test adds is in no contract: only its problems are checked.
 */
export const checkAnswer = (method: string, path: string, status: number, contentType: string, body: unknown): void => {
  const pathname = path.split('?')[0] as string;
  const direct = directTarget(pathname);
  if (direct)
    return checkResponse(
      served.find((fn) => fn.name === direct.name),
      status,
      contentType,
      body,
    );
  const fn: RegisteredFunction | undefined = routes.resolve(method.toUpperCase(), pathname)?.entry;
  if (fn) return checkResponse(fn, status, contentType, body);
  checkGatewayResponse(method, pathname, status, contentType, body);
};

/**
 * `fetch` for a request a test must make raw (a malformed body, a wrong content type, a CloudEvent
 * in binary mode): the answer is still checked against the published contract, and returned unread.
 */
export const checkedFetch = async (url: string, init: RequestInit = {}): Promise<Response> => {
  const response = await fetch(url, init);
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.clone().text();
  const body: unknown = text && /json/.test(contentType) ? JSON.parse(text) : text || undefined;
  const { pathname, search } = new URL(url);
  checkAnswer(init.method ?? 'GET', pathname + search, response.status, contentType, body);
  return response;
};

/** A JSON client of the platform at `base()` (read at each call, since a restart changes the port). */
export const httpClient =
  (base: () => string) =>
  async (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(base() + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    const answer = { status: res.status, body: text ? JSON.parse(text) : undefined };
    checkAnswer(method, path, answer.status, res.headers.get('content-type') ?? '', answer.body);
    return answer;
  };

/** Reads until `ok` holds or `ms` have passed; returns the last reading either way. */
export const waitFor = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
};
