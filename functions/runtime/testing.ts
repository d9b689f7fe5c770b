// Helpers for tests that run functions through the real runtime against a real database:
// a fresh database per test file (PostgreSQL when DATABASE_URL is set, embedded PGlite otherwise),
// the functions' own HTTP servers, tokens, and a CloudEvents sink standing in for the broker.
// The runtime knows no context: a test passes the functions it starts (a context's own, or ones
// it defines itself).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { assertValidData, definitionOf, fromHttp, violations, toBinaryHttp, type ReceivedEvent } from '../../events/index.js';
import { checkResponse } from '../../scripts/contracts/response-testing.js';
import { signToken } from './auth.js';
import { issuerDocument, newSigningKey, signDeliveryToken, type Issuer } from './delivery-token.js';
import { closeDatabases, createDatabase, poolFor, startEmbeddedDatabase, type EmbeddedDatabase, type Row } from './db.js';
import { PING_EVENT_TYPE, type RegisteredFunction, type Role } from './definition.js';
import { migrateUp } from './migrate.js';
import { table } from './outbox.js';
import { functionRoutes } from './registry.js';
import { createFunctionServer } from './serve.js';

process.env.JWT_SECRET ??= 'test-secret-of-at-least-thirty-two-bytes!';
process.env.LOG_LEVEL ??= 'warn';

export interface TestDatabase {
  url: string;
  query<R extends Row = Row>(sql: string, params?: unknown[]): Promise<R[]>;
}

/**
 * A database of this test file's own, migrated for `contexts`: a new database on the server of
 * DATABASE_URL when set, else an in-memory embedded PostgreSQL. Call at the top of a test file.
 */
export const useTestDatabase = (contexts: string[]): TestDatabase => {
  const adminUrl = process.env.DATABASE_URL;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let embedded: EmbeddedDatabase | undefined;
  const handle: TestDatabase = {
    url: '',
    query: async (sql, params) => (await (await poolFor()).query(sql, params)).rows as never,
  };
  beforeAll(async () => {
    if (adminUrl) {
      database = await createDatabase(adminUrl, 'gotuto_test');
      handle.url = database.url;
    } else {
      embedded = await startEmbeddedDatabase(undefined);
      handle.url = embedded.url;
    }
    process.env.DATABASE_URL = handle.url;
    await migrateUp(contexts);
  }, 60_000);
  afterAll(async () => {
    await closeDatabases();
    if (embedded) await embedded.stop();
    if (adminUrl) {
      process.env.DATABASE_URL = adminUrl;
      await database?.drop();
    }
  }, 60_000);
  return handle;
};

export const tokenFor = (role: Role, sub: string = randomUUID()): Promise<string> => signToken({ id: sub, role });

let testIssuer: Promise<Issuer> | undefined;

/**
 * The delivery token issuer of this test file, standing in for the cluster's service-account
 * issuer: a key in memory, its discovery document and JWKS on a server of its own, named by
 * DELIVERY_TOKEN_ISSUER.
 */
export const useTestIssuer = (): Promise<Issuer> =>
  (testIssuer ??= (async () => {
    const issuer: Issuer = { url: '', key: await newSigningKey() };
    const server = createServer((req, res) => {
      const body = issuerDocument(issuer, req.url ?? '');
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
    });
    issuer.url = await listen(server);
    server.unref();
    process.env.DELIVERY_TOKEN_ISSUER = issuer.url;
    return issuer;
  })());

/** A delivery token of the test issuer for `audience` (a function's name), as Knative would send. */
export const deliveryTokenFor = async (audience: string, options: { lifetime?: number } = {}): Promise<string> =>
  signDeliveryToken(await useTestIssuer(), audience, { subject: 'system:serviceaccount:knative-eventing:test-sender', ...options });

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is, instead of `body` as JSON. */
  rawBody?: string | Buffer;
  contentType?: string;
  token?: string;
  headers?: Record<string, string>;
}

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** The functions at `paths` (e.g. `billing/commands/create-client`) among `functions`, in that order. */
export const functionsAt = (functions: readonly RegisteredFunction[], paths: readonly string[]): RegisteredFunction[] =>
  paths.map((path) => {
    const fn = functions.find((f) => f.path === path);
    if (!fn) throw new Error(`no function at ${path} among the ${functions.length} given`);
    return fn;
  });

const send = async (url: string, method: string, options: RequestOptions): Promise<TestResponse> => {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= options.contentType ?? 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, { method, headers, body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body) });
  const text = await response.text();
  let parsed: unknown = undefined;
  if (/json/.test(response.headers.get('content-type') ?? '') && text) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text };
};

export interface TestApi {
  /** Sends a request to the started function whose route matches, on its own server. */
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /**
   * Sends a request as is to one started function's own URL (a CloudEvent in structured mode, a
   * malformed body); the answer is checked against the function's contract like every other.
   */
  requestAt(path: string, method: string, options?: RequestOptions): Promise<TestResponse>;
  /** Delivers a CloudEvent (binary mode) to a started handler. */
  deliver(path: string, event: Partial<ReceivedEvent<unknown>> & { type: string; data?: unknown }): Promise<TestResponse>;
  /** Sends a PingSource tick to a started scheduled function. */
  tick(path: string): Promise<TestResponse>;
  /** The base URL of one started function. */
  urlOf(path: string): string;
}

/** Starts the real HTTP servers of `functions` for this test file. */
export const startFunctions = (functions: readonly RegisteredFunction[]): TestApi => {
  const started: Array<{ fn: RegisteredFunction; url: string; server: Server }> = [];
  beforeAll(async () => {
    await useTestIssuer();
    for (const fn of functions) {
      const server = createFunctionServer(fn);
      started.push({ fn, server, url: await listen(server) });
    }
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => close(s.server)));
  });
  const byPath = (path: string) => {
    const found = started.find((s) => s.fn.path === path);
    if (!found) throw new Error(`${path} was not started`);
    return found;
  };
  const requestAt: TestApi['requestAt'] = async (path, method, options = {}) => {
    const target = byPath(path);
    const response = await send(target.url, method, options);
    checkResponse(target.fn, response.status, response.headers.get('content-type') ?? '', response.body);
    return response;
  };
  const deliver: TestApi['deliver'] = async (path, event) => {
    const full = {
      id: randomUUID(),
      source: '/test',
      subject: randomUUID(),
      time: new Date().toISOString(),
      data: {},
      ...event,
    } as ReceivedEvent<unknown>;
    const { headers, body } = toBinaryHttp(full);
    return requestAt(path, 'POST', { rawBody: body, headers, token: await deliveryTokenFor(byPath(path).fn.name) });
  };
  return {
    requestAt,
    request: async (method, path, options = {}) => {
      const pathname = path.split('?')[0] as string;
      const found = functionRoutes(started.map((s) => s.fn)).resolve(method, pathname);
      const target = found && started.find((s) => s.fn === found.entry);
      if (!target) throw new Error(`no started function serves ${method} ${path}`);
      const response = await send(target.url + path, method.toUpperCase(), options);
      checkResponse(target.fn, response.status, response.headers.get('content-type') ?? '', response.body);
      return response;
    },
    deliver,
    tick: (path) => deliver(path, { type: PING_EVENT_TYPE, source: '/apis/v1/namespaces/gotuto/pingsources/test', data: {} }),
    urlOf: (path) => byPath(path).url,
  };
};

/** Events in a context's outbox, oldest first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const outboxEvents = async (context: string): Promise<ReceivedEvent<any>[]> => {
  const { rows } = await (await poolFor(context)).query<{ event: ReceivedEvent<unknown> }>(`SELECT event FROM ${table(context, 'outbox')} ORDER BY seq`);
  // Producers validate before they store; this says so again for every event a test reads.
  for (const { event } of rows) {
    const definition = definitionOf(event.type);
    if (definition) assertValidData(definition, event.data);
  }
  return rows.map((r) => r.event);
};

export interface EventSink {
  url: string;
  received: ReceivedEvent<unknown>[];
  /** The status the sink answers with (202 by default; anything else is a failed publish). */
  status: number;
  close(): Promise<void>;
}

/** A CloudEvents receiver standing in for the broker ingress (K_SINK). */
export const startEventSink = async (): Promise<EventSink> => {
  const sink: EventSink = { url: '', received: [], status: 202, close: async () => undefined };
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const event = fromHttp(req.headers, Buffer.concat(chunks));
      const definition = definitionOf(event.type);
      // A published event whose data breaks its schema is refused, as a consumer would refuse it.
      if (definition && violations(definition.schema, event.data).length > 0) {
        res.writeHead(400).end(`${event.type} data breaks its schema`);
        return;
      }
      if (sink.status < 300) sink.received.push(event);
      res.writeHead(sink.status).end();
    });
  });
  sink.url = await listen(server);
  sink.close = () => close(server);
  return sink;
};
