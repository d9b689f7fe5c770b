// The HTTP side of the runtime: one middy stack (parse, authenticate, validate, handle, map
// errors) that turns a request into a response for any command or query. Adapters (the
// functions-framework server, the local gateway) only translate their request objects to
// HttpRequest and write the HttpResponse back.
// functions-framework runs each request in a domain, where every promise and callback costs
// several microseconds (the domain follows each one): the hot path therefore chains promises
// instead of awaiting them, and a middleware that has nothing to wait for returns at once.
import middy from '@middy/core';
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import proxyaddr from 'proxy-addr';
import { InvalidJson, maxJsonDepth, parseBoundedJson, stamp, tooDeepAt, violations, type ReceivedEvent } from '../../events/index.js';
import { afterCommit, type AfterCommit } from './after-commit.js';
import { authenticateNow } from './auth.js';
import { config } from './config.js';
import { retryingConflicts } from './conflict-retry.js';
import { existingPool, inTransaction, poolFor, type Queryable } from './db.js';
import type { Caller, CommandDefinition, HttpContext, QueryDefinition, RegisteredFunction, Reply, Tx } from './definition.js';
import { BadRequest, Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationError, problemFor, problemHeaders } from './errors.js';
import { rootLogger, type Logger } from './log.js';
import { publishStored, storeEvents, type StoredEvent } from './outbox.js';
import { isUuid } from './paging.js';
import { parseRoute, type Route } from './route.js';

export type Headers = Record<string, string | string[] | undefined>;

export interface HttpRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: Record<string, unknown>;
  headers: Headers;
  /** The body as received; undefined or empty when there is none. */
  rawBody: Buffer | undefined;
  /** The JSON body, when an adapter has already parsed it from `rawBody`. */
  parsedBody?: unknown;
  /** The address of the peer of the connection, as the adapter saw it. */
  remoteAddress?: string;
}

/** The TRUSTED_PROXIES setting compiled once per value: a hop count, or addresses and CIDRs as Express's "trust proxy". */
let trust: { setting: string; fn: (address: string, hop: number) => boolean } | undefined;
const trusted = (): ((address: string, hop: number) => boolean) => {
  const setting = config.trustedProxies();
  if (trust?.setting !== setting) {
    const hops = /^\d+$/.test(setting) ? Number(setting) : undefined;
    const fn =
      setting === ''
        ? () => false
        : hops !== undefined
          ? (_: string, hop: number) => hop < hops
          : proxyaddr.compile(setting.split(',').map((part) => part.trim()));
    trust = { setting, fn };
  }
  return trust.fn;
};

/**
 * The client's address, for per-source limits: the connection's peer, or, when the peer is a
 * trusted proxy (TRUSTED_PROXIES), the first address of X-Forwarded-For, read from the right,
 * that is not; a client cannot choose its address by sending the header itself. proxy-addr is
 * the reading Express uses.
 */
export const clientAddress = (req: HttpRequest): string =>
  proxyaddr({ headers: req.headers, socket: { remoteAddress: req.remoteAddress ?? '0.0.0.0' } } as never, trusted());

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

type HttpDefinition = CommandDefinition<unknown, unknown, unknown, unknown> | QueryDefinition<unknown, unknown, unknown, unknown>;

interface Invocation {
  req: HttpRequest;
  params: Record<string, string>;
  body: unknown;
  query: Record<string, unknown>;
  caller: Caller | undefined;
  correlationId: string;
  requestId: string;
}

export const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/**
 * A command's JSON body (the adapter's parse when it made one), refused with 400 and a pointer
 * when it is not JSON or nests deeper than JSON_MAX_DEPTH: too deep a value would overflow the
 * stack of the schema check, a 500 for input that is simply bad.
 */
const jsonBody = (raw: Buffer, parsed: unknown): unknown => {
  const text = raw.toString('utf8');
  const max = maxJsonDepth();
  try {
    if (parsed === undefined) return parseBoundedJson(text, max, '');
    if (tooDeepAt(text, max) >= 0) throw new InvalidJson(`the body nests deeper than ${max} levels`, '/');
    return parsed;
  } catch (error) {
    if (error instanceof InvalidJson) throw new BadRequest(error.message, [{ pointer: error.pointer, message: error.message }]);
    throw error;
  }
};

const parseIfMatch = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(value);
  if (!match) throw new BadRequest('If-Match must name a version, e.g. "3"');
  return Number(match[1]);
};

/** Turns a result into the HTTP answer the definition describes (status, ETag, Location). */
const toResponse = (def: HttpDefinition, result: unknown): HttpResponse => {
  if (result && typeof result === 'object' && (result as Reply).reply === true) {
    const r = result as Reply;
    return jsonResponse(r.status, r.body, r.headers ?? {});
  }
  if (result === undefined) return { status: 204, headers: {} };
  const headers: Record<string, string> = {};
  const version = (result as { version?: unknown }).version;
  if (typeof version === 'number') headers.etag = `"${version}"`;
  if (def.location) headers.location = def.location(result);
  return jsonResponse(def.status ?? 200, result, headers);
};

const jsonResponse = (status: number, body: unknown, headers: Record<string, string>): HttpResponse =>
  body === undefined ? { status, headers } : { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };

export const problemResponse = (error: unknown): HttpResponse => {
  const problem = problemFor(error);
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', ...problemHeaders(error) },
    body: JSON.stringify(problem),
  };
};

interface IdempotencyRecord {
  status: number;
  headers: Record<string, string>;
  body: string | null;
  fingerprint: string;
}

interface Idempotency {
  key: string;
  fingerprint: string;
  respond: (result: unknown) => HttpResponse;
}

/**
 * The transaction helper given to commands: events emitted inside are stamped, validated and
 * stored in the outbox with the state change, then published after commit. With an
 * Idempotency-Key, the answer is recorded in the same transaction. A transaction that loses to a
 * concurrent one is run again whole (conflict-retry.ts), with its own events and after-commit work.
 */
const transactionRunner = (fn: RegisteredFunction, inv: Invocation, now: () => Date, idempotency: Idempotency | undefined) => {
  return <T>(work: (tx: Tx) => Promise<T>): Promise<T> => {
    const attempt = (db: pg.Pool) => {
      const stored: StoredEvent[] = [];
      const committed = afterCommit();
      const tx = commandTx(fn, inv, now, stored, committed);
      const inside = idempotency
        ? (client: pg.PoolClient) => recorded(fn, inv, idempotency, client, () => work(tx(client)))
        : (client: pg.PoolClient) => work(tx(client));
      return inTransaction(db, inside).then((result) => ({ result, stored, committed }));
    };
    const run = (db: pg.Pool): Promise<T> =>
      retryingConflicts(() => attempt(db)).then(({ result, stored, committed }) => {
        committed.run();
        return stored.length === 0 ? result : publishStored(db, fn.context, stored).then(() => result);
      });
    const db = existingPool(fn.context);
    return db ? run(db) : poolFor(fn.context).then(run);
  };
};

/** The `Tx` a command's work gets for one attempt of its transaction on `client`. */
const commandTx =
  (fn: RegisteredFunction, inv: Invocation, now: () => Date, stored: StoredEvent[], committed: AfterCommit) =>
  (client: pg.PoolClient): Tx => ({
    query: (sql, params) => client.query(sql, params),
    afterCommit: committed.add,
    emit: (...events) => {
      let stamped: ReceivedEvent<unknown>[];
      try {
        stamped = events.map((event) => stamp<unknown>(event, { correlationId: inv.correlationId, causationId: inv.requestId, time: now() }));
      } catch (error) {
        return Promise.reject(error);
      }
      return storeEvents(client, fn.context, stamped).then((rows) => {
        stored.push(...rows);
      });
    },
  });

/** Runs `work` inside the transaction that claims the Idempotency-Key and records the answer. */
const recorded = async <T>(fn: RegisteredFunction, inv: Invocation, idempotency: Idempotency, client: pg.PoolClient, work: () => Promise<T>): Promise<T> => {
  const { rowCount } = await client.query(
    `INSERT INTO platform.idempotency_keys (function, caller, key, fingerprint) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [fn.name, inv.caller?.id ?? '', idempotency.key, idempotency.fingerprint],
  );
  if (rowCount === 0) throw new Conflict('a request with this Idempotency-Key is already being processed');
  const value = await work();
  const response = idempotency.respond(value);
  await client.query(
    `UPDATE platform.idempotency_keys SET status = $4, headers = $5, body = $6
     WHERE function = $1 AND caller = $2 AND key = $3`,
    [fn.name, inv.caller?.id ?? '', idempotency.key, response.status, JSON.stringify(response.headers), response.body ?? null],
  );
  return value;
};

const findIdempotent = async (pool: pg.Pool, fn: RegisteredFunction, caller: Caller | undefined, key: string) => {
  const { rows } = await pool.query<IdempotencyRecord>(
    `SELECT status, headers, body, fingerprint FROM platform.idempotency_keys
     WHERE function = $1 AND caller = $2 AND key = $3 AND status IS NOT NULL`,
    [fn.name, caller?.id ?? '', key],
  );
  return rows[0];
};

export interface HttpFunction {
  route: Route;
  invoke(req: HttpRequest): Promise<HttpResponse>;
}

/** Builds the request handler of one command or query function. */
export const httpFunction = (fn: RegisteredFunction, options: { now?: () => Date; logger?: Logger } = {}): HttpFunction => {
  const def = fn.definition as HttpDefinition;
  const route = parseRoute(def.route);
  const now = options.now ?? (() => new Date());
  const log = (options.logger ?? rootLogger).child({ function: fn.name });
  const isCommand = def.kind === 'command';
  // Reads outside a transaction; the same for every request.
  const db: Queryable = {
    query: (sql, params) => {
      const pool = existingPool(fn.context);
      return pool ? pool.query(sql, params) : poolFor(fn.context).then((created) => created.query(sql, params));
    },
  };

  const handle = (inv: Invocation, idempotency: Idempotency | undefined): Promise<HttpResponse> => {
    let child: Logger | undefined;
    const ctx: HttpContext = {
      caller: inv.caller,
      // Read by the few functions that limit per source (login): proxy-addr runs only for them.
      get clientAddress() {
        return clientAddress(inv.req);
      },
      now,
      correlationId: inv.correlationId,
      // Made when the function logs, which most requests never do.
      get log() {
        return (child ??= log.child({ correlationId: inv.correlationId }));
      },
      db,
      inTransaction: transactionRunner(fn, inv, now, idempotency),
    };
    const result = def.handle(
      {
        body: inv.body,
        params: inv.params,
        query: inv.query,
        // Only a function that declares it reads If-Match: what the published contract says is what runs.
        ifMatch: def.ifMatch ? parseIfMatch(header(inv.req.headers, 'if-match')) : undefined,
      },
      ctx,
    );
    return Promise.resolve(result).then((value) => toResponse(def, value));
  };

  /** A POST with an Idempotency-Key: the recorded answer when there is one, else handled and recorded. */
  const handleIdempotent = async (inv: Invocation, key: string): Promise<HttpResponse> => {
    if (key.length === 0 || key.length > 200) throw new BadRequest('Idempotency-Key must be 1 to 200 characters');
    const hash = createHash('sha256')
      .update(inv.req.path)
      .update('\0')
      .update(inv.req.rawBody ?? '');
    // The query string names what a command acts on too (replay every dead letter of ?type=).
    const query = Object.entries(inv.req.query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (query.length > 0) hash.update('\0').update(JSON.stringify(query));
    const fingerprint = hash.digest('hex');
    const previous = await findIdempotent(await poolFor(fn.context), fn, inv.caller, key);
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        throw new ValidationError('this Idempotency-Key was used with a different request');
      }
      return { status: previous.status, headers: { ...previous.headers, 'idempotent-replayed': 'true' }, body: previous.body ?? undefined };
    }
    return handle(inv, { key, fingerprint, respond: (result) => toResponse(def, result) });
  };

  const base = (inv: Invocation): Promise<HttpResponse> => {
    const key = isCommand && inv.req.method === 'POST' ? header(inv.req.headers, 'idempotency-key') : undefined;
    return key === undefined ? handle(inv, undefined) : handleIdempotent(inv, key);
  };

  // The middlewares return nothing when they are done at once, a promise only when they must wait.
  const stack = middy<Invocation, HttpResponse>(base, { timeoutEarlyInMillis: 0 })
    .use({
      before: ({ event: inv }) => {
        const params = route.match(inv.req.path);
        if (!params || inv.req.method.toUpperCase() !== route.method) {
          throw new NotFound(`no route ${inv.req.method} ${inv.req.path} in ${fn.name}`);
        }
        // Resource ids are UUIDs: anything else names nothing, and never reaches SQL.
        for (const name in params) {
          const value = params[name] as string;
          if ((name === 'id' || name.endsWith('Id')) && !isUuid(value)) throw new NotFound(`no resource ${value}`);
        }
        inv.params = params;
        const raw = inv.req.rawBody;
        if (raw && raw.length > config.bodyLimit()) {
          throw new PayloadTooLarge(`the body is ${raw.length} bytes; the limit is ${config.bodyLimit()}`);
        }
        if (def.kind === 'command' && def.body) {
          if (!raw || raw.length === 0) {
            inv.body = {};
          } else {
            const type = header(inv.req.headers, 'content-type');
            if (!type || !JSON_TYPE.test(type)) {
              throw new UnsupportedMediaType(`the body must be application/json, not ${type ?? 'untyped'}`);
            }
            inv.body = jsonBody(raw, inv.req.parsedBody);
          }
        }
      },
    })
    .use({
      before: ({ event: inv }) => {
        const caller = authenticateNow(header(inv.req.headers, 'authorization'), def.access);
        if (caller instanceof Promise) {
          return caller.then((verified) => {
            inv.caller = verified;
          });
        }
        inv.caller = caller;
        return undefined;
      },
    })
    .use({
      before: ({ event: inv }) => {
        const found = [];
        if (def.kind === 'command' && def.body) found.push(...violations(def.body, inv.body));
        if (def.query) {
          const query = { ...inv.query };
          found.push(...violations(def.query, query, true).map((v) => ({ ...v, pointer: `/query${v.pointer === '/' ? '' : v.pointer}` })));
          inv.query = query;
        }
        if (found.length > 0) {
          throw new ValidationError(`the request fails its schema: ${found.map((v) => `${v.pointer} ${v.message}`).join('; ')}`, found);
        }
      },
    })
    .use({
      onError: (request) => {
        const problem = problemFor(request.error);
        if (problem.status >= 500) {
          log.error('request failed', { error: (request.error as Error)?.stack ?? String(request.error) });
        }
        request.response = problemResponse(request.error);
      },
    });

  const invoke = (req: HttpRequest): Promise<HttpResponse> => {
    const started = performance.now();
    let inv: Invocation;
    try {
      inv = {
        req,
        params: {},
        body: undefined,
        query: flattenQuery(req.query),
        caller: undefined,
        correlationId: header(req.headers, 'x-correlation-id') || randomUUID(),
        requestId: header(req.headers, 'x-request-id') || randomUUID(),
      };
    } catch (error) {
      return Promise.reject(error);
    }
    return stack(inv, {}).then((response) => {
      response.headers['x-correlation-id'] = inv.correlationId;
      log.info('invocation', {
        method: req.method,
        path: req.path,
        status: response.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        correlationId: inv.correlationId,
        caller: inv.caller?.role,
      });
      return response;
    });
  };

  return { route, invoke };
};

/** Query strings arrive as strings or arrays; a repeated parameter keeps its first value. */
export const flattenQuery = (query: Record<string, unknown>): Record<string, string> => {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') flat[key] = first;
  }
  return flat;
};
