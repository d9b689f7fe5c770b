// The routes of the local platform itself: its health, the broker's ingress, and the table of the
// functions it serves. Everything else at the gateway is a function.
import { eventsFromHttp, InvalidCloudEvent, type ReceivedEvent } from '../events/index.js';
import type { GatewayFunctionTableFunction, GatewayHealth } from '../events/schemas.generated.js';
import type { RegisteredFunction } from '../functions/runtime/definition.js';
import { BadRequest } from '../functions/runtime/errors.js';
import { stampTrace } from '../functions/runtime/telemetry.js';
import type { Headers, HttpResponse } from '../functions/runtime/http.js';
import type { Broker } from './broker.js';
import { ingressSpan } from './delivery-spans.js';
import type { PlatformRoute } from './gateway.js';

const json = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});

/** GET /healthz: 200 once migrations ran and every function is mounted, 503 before. */
export const healthRoute = (ready: () => boolean, functions: number): PlatformRoute => ({
  method: 'GET',
  path: '/healthz',
  handle: () =>
    Promise.resolve(ready() ? json(200, { status: 'ok', functions } satisfies GatewayHealth) : json(503, { status: 'starting' } satisfies GatewayHealth)),
});

/**
 * POST /broker: the broker ingress, in binary, structured or batch mode; 202 once every event of the
 * request is stored, or a 4xx and none of them (a batch is never kept in part). Only a publisher
 * with a token for the broker's audience gets in (401 before any event is parsed).
 */
export const ingressRoute = (broker: Broker, checkPublisher: (headers: Headers) => Promise<void>): PlatformRoute => ({
  method: 'POST',
  path: '/broker',
  handle: (req, body) =>
    ingressSpan(req.headers, async () => {
      await checkPublisher(req.headers);
      return ingest(broker, req.headers, body);
    }),
});

const ingest = async (broker: Broker, headers: Headers, body: Buffer): Promise<HttpResponse> => {
  let events: ReceivedEvent<unknown>[];
  try {
    events = eventsFromHttp(headers, body);
  } catch (error) {
    if (!(error instanceof InvalidCloudEvent)) throw error;
    throw new BadRequest(`not a valid CloudEvent: ${error.message}`, [{ pointer: error.pointer, message: error.message }]);
  }
  // An event that comes without a trace of its own joins the publisher's, through the ingress span.
  stampTrace(events);
  if (events.length > 0) await broker.accept(...events);
  return { status: 202, headers: {} };
};

/** A row of the function table, typed from its schema (schemas/gateway/function-table.json). */
export const describeFunction = (fn: RegisteredFunction, deadLetters: Record<string, number>): GatewayFunctionTableFunction => {
  const d = fn.definition;
  const http = d.kind !== 'handler';
  return {
    name: fn.name,
    context: fn.context,
    kind: d.kind,
    route: http ? d.route : undefined,
    access: !http ? undefined : d.access === 'public' ? 'public' : [...d.access],
    localOnly: http && d.localOnly ? true : undefined,
    eventTypes: !http && d.event ? [d.event.type] : !http && d.anyType ? ['*'] : undefined,
    schedule: !http ? d.schedule?.cron : undefined,
    url: `/functions/${fn.name}`,
    deadLetters: deadLetters[fn.name] ?? 0,
  };
};

/** GET /functions: every function served, with the dead letters waiting for it. */
export const functionTableRoute = (functions: RegisteredFunction[], deadLettersWaiting: () => Promise<Record<string, number>>): PlatformRoute => ({
  method: 'GET',
  path: '/functions',
  handle: async () => {
    const waiting = await deadLettersWaiting();
    return json(200, { items: functions.map((fn) => describeFunction(fn, waiting)) });
  },
});
