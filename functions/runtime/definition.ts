// What a function module exports: a command, a query or an event handler, declared as data
// plus `handle`. The runtime adapts each definition to functions-framework.
import type { EventDefinition, ReceivedEvent, NewEvent } from '../../events/index.js';
import type { Logger } from './log.js';
import type { Queryable } from './db.js';

export type Role = 'admin' | 'customer';
/** Who may call: `public` needs no token, otherwise one of the listed roles. */
export type Access = 'public' | readonly Role[];

export interface Caller {
  /** The token's `sub`: a customer id, or an admin's id. */
  id: string;
  role: Role;
}

/** A JSON Schema object (draft 2020-12) with an `$id`. */
export type Schema = { $id: string } & Record<string, unknown>;

export interface HttpInput<Body, Params, Query> {
  body: Body;
  params: Params;
  query: Query;
  /** The version that `If-Match` names, when the request carries one. */
  ifMatch: number | undefined;
}

/** A transaction: queries on one connection, and events that commit with the state change. */
export interface Tx extends Queryable {
  emit(...events: NewEvent[]): Promise<void>;
  /** Runs `work` once the transaction has committed, never when it rolls back (and is retried). */
  afterCommit(work: () => void): void;
}

export interface BaseContext {
  now(): Date;
  log: Logger;
  correlationId: string;
}

export interface HttpContext extends BaseContext {
  /** The verified caller; undefined only on public routes called without a token. */
  caller: Caller | undefined;
  /** The client's address (X-Forwarded-For only past the TRUSTED_PROXIES), for per-source limits. */
  clientAddress: string;
  /** Reads outside a transaction. */
  db: Queryable;
  /**
   * Runs `fn` in one transaction; the events it emits are stored in the outbox in that same
   * transaction and published once it has committed.
   */
  inTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

export interface HandlerContext extends BaseContext {
  /** The transaction the handler runs in: its inbox entry, its effects and its events commit together. */
  tx: Tx;
  /** The query string of the URL the event was delivered to (a dead-letter sink's names its Trigger). */
  query: Readonly<Record<string, string>>;
}

/** A full HTTP answer, for the rare handle that needs other than the definition's status. */
export interface Reply {
  reply: true;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
export const reply = (status: number, body?: unknown, headers?: Record<string, string>): Reply => ({
  reply: true,
  status,
  body,
  headers,
});

interface HttpDefinition<Body, Params, Query, Result> {
  /** `METHOD /path/{param}`: the route at the gateway and, minus nothing, at the function's own URL. */
  route: string;
  access: Access;
  /** Schema of the JSON body (commands). */
  body?: Schema;
  /** Schema of the query string; values are coerced to the schema's types. */
  query?: Schema;
  /** Schema of the JSON body of a successful answer: published in the OpenAPI document, checked by the tests. */
  response?: Schema;
  /** Status of a successful answer: 200 by default, 204 when `handle` returns undefined. */
  status?: number;
  /** The `Location` header of a created resource. */
  location?: (result: Result) => string;
  /** Reads `ifMatch`: a stale version named by If-Match answers 412 (published with the operation). */
  ifMatch?: true;
  /** May refuse with 429 and Retry-After (published with the operation). */
  throttled?: true;
  handle(input: HttpInput<Body, Params, Query>, ctx: HttpContext): Promise<Result | Reply>;
  /** Served by the local platform only (a view of its own broker): never deployed, no Knative Service. */
  localOnly?: true;
}

export interface CommandDefinition<Body = unknown, Params = Record<string, string>, Query = Record<string, string>, Result = unknown> extends HttpDefinition<
  Body,
  Params,
  Query,
  Result
> {
  kind: 'command';
}
export interface QueryDefinition<Body = unknown, Params = Record<string, string>, Query = Record<string, string>, Result = unknown> extends HttpDefinition<
  Body,
  Params,
  Query,
  Result
> {
  kind: 'query';
}

export interface Schedule {
  /** Five-field cron, as a PingSource takes it. */
  cron: string;
  /** Environment variable that overrides the cron per deployment. */
  env?: string;
}

export interface HandlerDefinition<Data = unknown> {
  kind: 'handler';
  /** The event this handler consumes through a Trigger; absent for scheduled functions. */
  event?: EventDefinition<Data>;
  /** A PingSource schedule that triggers this function; absent for Trigger handlers. */
  schedule?: Schedule;
  /** Trigger delivery settings; defaults are the platform's. */
  delivery?: { retry?: number; backoffDelay?: string; timeout?: string; ordered?: boolean };
  handle(event: ReceivedEvent<Data>, ctx: HandlerContext): Promise<void>;
  /** Set on the outbox relay, which must not run inside a transaction (it publishes). */
  relay?: true;
  /** Takes events of any type (a dead-letter sink); their data is not validated. */
  anyType?: true;
  /** Idempotent by itself (an upsert): no inbox entry, so a repeated event is applied again. */
  noInbox?: true;
}

export type FunctionDefinition =
  | CommandDefinition<any, any, any, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  | QueryDefinition<any, any, any, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  | HandlerDefinition<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const command = <Body = unknown, Params = Record<string, string>, Query = Record<string, string>, Result = unknown>(
  def: Omit<CommandDefinition<Body, Params, Query, Result>, 'kind'>,
): CommandDefinition<Body, Params, Query, Result> => ({ kind: 'command', ...def });

export const query = <Query = Record<string, string>, Params = Record<string, string>, Result = unknown>(
  def: Omit<QueryDefinition<unknown, Params, Query, Result>, 'kind' | 'body'>,
): QueryDefinition<unknown, Params, Query, Result> => ({ kind: 'query', ...def });

export const handler = <Data>(def: Omit<HandlerDefinition<Data>, 'kind' | 'schedule'> & { event: EventDefinition<Data> }): HandlerDefinition<Data> => ({
  kind: 'handler',
  ...def,
});

/** The CloudEvent type a Knative PingSource sends. */
export const PING_EVENT_TYPE = 'dev.knative.sources.ping';

export const scheduled = (def: {
  schedule: Schedule;
  handle(event: ReceivedEvent<unknown>, ctx: HandlerContext): Promise<void>;
}): HandlerDefinition<unknown> => ({ kind: 'handler', ...def });

/**
 * The outbox relay of a context: on its schedule it publishes what its outbox still holds (events
 * whose publish after commit failed or never happened) and prunes old messaging rows.
 */
export const outboxRelay = (schedule: Schedule = { cron: '* * * * *', env: 'OUTBOX_RELAY_SCHEDULE' }): HandlerDefinition<unknown> => ({
  kind: 'handler',
  schedule,
  relay: true,
  handle: async () => undefined,
});

/** A handler for events of any type, such as the platform's dead-letter sink. */
export const anyEventHandler = (def: {
  noInbox?: true;
  handle(event: ReceivedEvent<unknown>, ctx: HandlerContext): Promise<void>;
}): HandlerDefinition<unknown> => ({ kind: 'handler', anyType: true, ...def });

/** Whether only the local platform serves `fn` (it reads what exists only there). */
export const isLocalOnly = (fn: RegisteredFunction): boolean => fn.definition.kind !== 'handler' && fn.definition.localOnly === true;

/** A function as the registry knows it: its definition, its name and its bounded context. */
export interface RegisteredFunction {
  name: string;
  context: string;
  /** Source path relative to functions/, without extension: `billing/commands/create-invoice`. */
  path: string;
  definition: FunctionDefinition;
}
