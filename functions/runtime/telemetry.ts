// Traces for every function, through @opentelemetry/api alone: without an SDK its calls are no-ops,
// and the SDK with its exporters (telemetry-sdk.ts) is imported only when an OTLP endpoint is set,
// so a cold start with none loads nothing more. W3C Trace Context end to end: an HTTP request
// continues the caller's `traceparent`; an event handler the header, else the event's `traceparent`
// extension; an event stored in the outbox keeps the context of the span that wrote it.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type pg from 'pg';
import type { ReceivedEvent } from '../../events/index.js';
import type { RegisteredFunction } from './definition.js';
import type { HttpRequest, HttpResponse } from './http.js';
import { rootLogger } from './log.js';

// Taken again at each start: a tracer taken before a stop stays bound to the provider that stopped.
let tracer = trace.getTracer('gotuto-functions');

interface Running {
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let running: Running | undefined;

/** True while an SDK is exporting: the instrumented seams do nothing more than check this when it is not. */
export const telemetryActive = (): boolean => running !== undefined;

/** Whether OTEL_EXPORTER_OTLP_ENDPOINT, or the endpoint of one signal, is set. */
export const telemetryConfigured = (env: NodeJS.ProcessEnv = process.env): boolean =>
  Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);

/**
 * Starts exporting traces and metrics over OTLP when an endpoint is set (the standard OTEL_*
 * settings; `serviceName` unless OTEL_SERVICE_NAME says otherwise). True when it started.
 */
export const startTelemetry = async (serviceName: string): Promise<boolean> => {
  if (running || !telemetryConfigured()) return running !== undefined;
  const { startSdk } = await import('./telemetry-sdk.js');
  running = await startSdk(serviceName);
  tracer = trace.getTracer('gotuto-functions');
  return running !== undefined;
};

/** Exports what is buffered now (spans and metrics), e.g. before reading what a collector received. */
export const flushTelemetry = async (): Promise<void> => {
  await running?.flush();
};

/** Exports what is left and stops: a function that stops loses no span. */
export const stopTelemetry = async (): Promise<void> => {
  const current = running;
  running = undefined;
  // A platform started again in this process counts its functions' cold starts again.
  warm.clear();
  if (!current) return;
  await current.shutdown().catch((error: unknown) => rootLogger.warn('telemetry not flushed at stop', { error: String(error) }));
};

const getter = {
  get: (carrier: Record<string, string | undefined>, key: string) => carrier[key],
  keys: (carrier: Record<string, string | undefined>) => Object.keys(carrier),
};

/** The context a `traceparent` (and `tracestate`) continue; the root context when there is none. */
export const contextOf = (traceparent: string | undefined, tracestate?: string): Context =>
  traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent, tracestate }, getter) : ROOT_CONTEXT;

/** The `traceparent` and `tracestate` of the active span, as HTTP headers (none without a recording span). */
export const traceHeaders = (ctx: Context = context.active()): Record<string, string> => {
  const carrier: Record<string, string> = {};
  if (running) propagation.inject(ctx, carrier);
  return carrier;
};

/** The trace headers an event carries with it: its `traceparent` and `tracestate` extensions. */
export const eventTraceHeaders = (event: ReceivedEvent<unknown>): Record<string, string> => {
  const headers: Record<string, string> = {};
  if (event.traceparent) headers.traceparent = event.traceparent;
  const state = event.extensions?.tracestate;
  if (state) headers.tracestate = state;
  return headers;
};

/** The trace context of an event, for a delivery of it to continue. */
export const eventContext = (event: ReceivedEvent<unknown>): Context => contextOf(event.traceparent, event.extensions?.tracestate);

/** Gives events the context of the active span (the one writing them), unless they carry one already. */
export const stampTrace = (events: ReceivedEvent<unknown>[]): void => {
  if (!running) return;
  const { traceparent, tracestate } = traceHeaders();
  if (!traceparent) return;
  for (const event of events) {
    if (event.traceparent) continue;
    event.traceparent = traceparent;
    if (tracestate) event.extensions = { ...event.extensions, tracestate };
  }
};

/** Ends `span` as failed by `error`. */
export const failSpan = (span: Span, error: unknown): void => {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
};

/** Runs `work` in a new span of `kind` under `parent`, ending it when `work` settles. */
export const inSpan = async <T>(name: string, kind: SpanKind, attributes: Attributes, parent: Context, work: (span: Span) => Promise<T>): Promise<T> => {
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
};

/**
 * Whether a child span is worth making: telemetry runs and a span of a sampled trace is active. That
 * span may have ended already: work an invocation left running after its answer (Notification's
 * sends after commit) still belongs to its trace.
 */
const recordingParent = (): boolean => {
  if (running === undefined) return false;
  const parent = trace.getSpan(context.active());
  return parent !== undefined && (parent.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
};

/** Adds an attribute to the span of a call once its outcome is known (a status). */
export type Annotate = (key: string, value: string | number | boolean) => void;

const ignore: Annotate = () => {};

/**
 * A CLIENT span for a call to another system (Catalog, SMTP) under the active span; `work` alone
 * when nothing records. `work` gets the headers that carry the span to the callee.
 */
export const clientSpan = <T>(name: string, attributes: Attributes, work: (headers: Record<string, string>, annotate: Annotate) => Promise<T>): Promise<T> =>
  recordingParent()
    ? inSpan(name, SpanKind.CLIENT, attributes, context.active(), (span) => work(traceHeaders(), (key, value) => span.setAttribute(key, value)))
    : work({}, ignore);

/**
 * A CLIENT span for work one span recorded and a later run does (an email a handler recorded, sent
 * by whichever sender run claims it): a child of the recording span, whose `traceparent` and
 * `tracestate` were kept with the work, so it shows in that trace (an order's); linked to the
 * active span of the run doing it. clientSpan when no context was kept.
 */
export const deferredClientSpan = <T>(
  recordedBy: { traceparent?: string; tracestate?: string },
  name: string,
  attributes: Attributes,
  work: (headers: Record<string, string>, annotate: Annotate) => Promise<T>,
): Promise<T> => {
  if (running === undefined || !recordedBy.traceparent) return clientSpan(name, attributes, work);
  const parent = contextOf(recordedBy.traceparent, recordedBy.tracestate);
  const doer = trace.getSpan(context.active())?.spanContext();
  const links = doer && trace.isSpanContextValid(doer) ? [{ context: doer }] : [];
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes, links }, parent);
  const inside = trace.setSpan(parent, span);
  return context
    .with(inside, () => work(traceHeaders(inside), (key, value) => span.setAttribute(key, value)))
    .catch((error: unknown) => {
      failSpan(span, error);
      throw error;
    })
    .finally(() => span.end());
};

// ---- PostgreSQL ---------------------------------------------------------------------------------

const DB_SYSTEM = { 'db.system.name': 'postgresql' };

const dbAttributes = (url: string): Attributes => {
  try {
    const parsed = new URL(url);
    return { ...DB_SYSTEM, 'db.namespace': parsed.pathname.slice(1), 'server.address': parsed.hostname, 'server.port': Number(parsed.port || 5432) };
  } catch {
    return DB_SYSTEM;
  }
};

/** The operation a statement names: its first word (SELECT, INSERT, WITH, BEGIN, ...). */
const operationOf = (text: string): string => /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';

type QueryFn = (...args: unknown[]) => unknown;

/**
 * Makes each statement of the pool's clients a CLIENT span (db.query.text, parameterised, without
 * values) when it runs under a recording span; otherwise the statement runs as before. A client is
 * wrapped when it is checked out while telemetry runs, not when it connects: with no OTLP endpoint
 * its statements go straight to pg (one check per checkout instead of one call per statement), and
 * a client that connected before telemetry started is still wrapped at its next checkout.
 */
export const instrumentPool = (pool: pg.Pool, url: string): void => {
  const attributes = dbAttributes(url);
  const wrapped = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (running === undefined || wrapped.has(client)) return;
    wrapped.add(client);
    wrapClient(client, attributes);
  });
};

const wrapClient = (client: pg.PoolClient, attributes: Attributes): void => {
  // The class's query, looked up at each call, so that what wraps it later (another agent) still runs.
  const proto = Object.getPrototypeOf(client) as { query: QueryFn };
  const original: QueryFn = (...args) => proto.query.apply(client, args);
  (client as unknown as { query: QueryFn }).query = (...args: unknown[]) => {
    if (!recordingParent()) return original(...args);
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
    const operation = operationOf(text);
    const span = tracer.startSpan(operation, { kind: SpanKind.CLIENT, attributes: { ...attributes, 'db.operation.name': operation, 'db.query.text': text } });
    const end = (error: unknown) => {
      if (error) failSpan(span, error);
      span.end();
    };
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: unknown, result: unknown) => {
        end(error);
        (callback as (e: unknown, r: unknown) => void)(error, result);
      };
      return original(...args);
    }
    const result = original(...args);
    if (result instanceof Promise) result.then(() => end(undefined), end);
    else end(undefined);
    return result;
  };
};

/** Runs a transaction as a CLIENT span of its own when a recording span is active; its statements are its children. */
export const transactionSpan = <T>(url: string | undefined, work: () => Promise<T>): Promise<T> =>
  recordingParent() ? inSpan('transaction', SpanKind.CLIENT, url ? dbAttributes(url) : DB_SYSTEM, context.active(), work) : work();

// ---- invocations --------------------------------------------------------------------------------

const warm = new Set<string>();

/** What triggers a function, as the FaaS conventions name it. */
export const faasTrigger = (fn: RegisteredFunction): 'http' | 'pubsub' | 'timer' =>
  fn.definition.kind !== 'handler' ? 'http' : fn.definition.schedule ? 'timer' : 'pubsub';

const headerOf = (req: HttpRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The `traceparent` of a structured-mode CloudEvent, read only when no header carries one. */
const structuredTrace = (req: HttpRequest): { traceparent?: string; tracestate?: string } => {
  if (!headerOf(req, 'content-type')?.startsWith('application/cloudevents+json') || !req.rawBody) return {};
  try {
    const body = JSON.parse(req.rawBody.toString('utf8')) as { traceparent?: unknown; tracestate?: unknown };
    return {
      traceparent: typeof body.traceparent === 'string' ? body.traceparent : undefined,
      tracestate: typeof body.tracestate === 'string' ? body.tracestate : undefined,
    };
  } catch {
    return {};
  }
};

/** The context an invocation continues: the `traceparent` header, else (an event) the event's extension. */
const callerContext = (req: HttpRequest, event: boolean): Context => {
  const traceparent = headerOf(req, 'traceparent');
  if (traceparent || !event) return contextOf(traceparent, headerOf(req, 'tracestate'));
  const extension = headerOf(req, 'ce-traceparent');
  if (extension) return contextOf(extension, headerOf(req, 'ce-tracestate'));
  const structured = structuredTrace(req);
  return contextOf(structured.traceparent, structured.tracestate);
};

export interface InvocationObserver {
  (fn: RegisteredFunction, trigger: string, coldStart: boolean, seconds: number, failed: boolean): void;
}

let observer: InvocationObserver | undefined;

/** Where the invocation metrics are recorded (metrics.ts), kept apart from the spans. */
export const observeInvocations = (observe: InvocationObserver): void => {
  observer = observe;
};

/**
 * `invoke` as a SERVER span named for the function (faas.name, faas.trigger, faas.coldstart) while
 * telemetry runs; `invoke` itself, with nothing more than a check, while it does not.
 */
export const traced =
  (fn: RegisteredFunction, invoke: (req: HttpRequest) => Promise<HttpResponse>): ((req: HttpRequest) => Promise<HttpResponse>) =>
  (req) =>
    running ? invokeTraced(fn, invoke, req) : invoke(req);

const invokeTraced = async (fn: RegisteredFunction, invoke: (req: HttpRequest) => Promise<HttpResponse>, req: HttpRequest): Promise<HttpResponse> => {
  const trigger = faasTrigger(fn);
  const coldStart = !warm.has(fn.name);
  warm.add(fn.name);
  const attributes: Attributes = {
    'faas.name': fn.name,
    'faas.trigger': trigger,
    'faas.coldstart': coldStart,
    'http.request.method': req.method,
    'url.path': req.path,
  };
  if (fn.definition.kind !== 'handler') attributes['http.route'] = fn.definition.route.replace(/^[A-Z]+\s+/, '');
  else {
    const id = headerOf(req, 'ce-id');
    const type = headerOf(req, 'ce-type');
    if (id) attributes['cloudevents.event_id'] = id;
    if (type) attributes['cloudevents.event_type'] = type;
  }
  const correlation = headerOf(req, 'x-correlation-id') ?? headerOf(req, 'ce-correlationid');
  if (correlation) attributes['gotuto.correlation_id'] = correlation;
  const started = performance.now();
  let failed = true;
  try {
    return await inSpan(fn.name, SpanKind.SERVER, attributes, callerContext(req, trigger !== 'http'), async (span) => {
      const response = await invoke(req);
      span.setAttribute('http.response.status_code', response.status);
      const answered = response.headers['x-correlation-id'];
      if (answered && !correlation) span.setAttribute('gotuto.correlation_id', answered);
      failed = response.status >= 500;
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.status}` });
      return response;
    });
  } finally {
    observer?.(fn, trigger, coldStart, (performance.now() - started) / 1000, failed);
  }
};
