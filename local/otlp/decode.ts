// OTLP export requests read into plain spans and metric points, whichever encoding they came in:
// binary protobuf (decoded by protobufjs with otlp.proto beside this file) or OTLP JSON (ids in hex,
// 64-bit integers as strings or numbers, enums as integers). Both go through one reader below, so
// what the page shows cannot depend on the exporter's protocol.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  service: string | null;
  startUs: number;
  endUs: number;
  /** OTLP's StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string | null;
  attributes: Attributes;
  events: { name: string; timeUs: number; attributes: Attributes }[];
}

export interface MetricPoint {
  service: string | null;
  name: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';
  attributes: Attributes;
  timeUs: number;
  /** The value of a gauge or a sum; a histogram's or summary's sum. */
  value: number | null;
  /** How many measurements a histogram or summary point holds. */
  count: number | null;
}

/** What an export carried: the items read, and how many were refused with the first reason. */
export interface Decoded<T> {
  items: T[];
  rejected: number;
  reason: string | undefined;
}

/** A body that is not an export request at all: answered 400. */
export class UnreadableExport extends Error {}

type Obj = Record<string, unknown>;

let root: protobuf.Root | undefined;
/** The OTLP message types, loaded on the first export (a platform that never receives one never parses the schema). */
export const otlpType = (name: string): protobuf.Type => {
  root ??= protobuf.loadSync(fileURLToPath(new URL('./otlp.proto', import.meta.url)));
  return root.lookupType(`opentelemetry.proto.${name}`);
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown, what: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new UnreadableExport(`${what} must be an array`);
  return v;
};
// PostgreSQL's jsonb and text take no NUL character, which an OTLP string may hold.
const str = (v: unknown): string => (typeof v === 'string' ? v.replaceAll('\0', '\uFFFD') : '');

/** Nanoseconds (a string, a number, or protobufjs's Long as a string; absent is 0) to microseconds; NaN when unreadable. */
const micros = (v: unknown): number => {
  try {
    if (v === undefined || v === null) return 0;
    if (typeof v === 'number') return Number(BigInt(Math.trunc(v)) / 1000n);
    return typeof v === 'string' ? Number(BigInt(v) / 1000n) : Number.NaN;
  } catch {
    return Number.NaN;
  }
};

const anyValue = (v: unknown): AttributeValue => {
  if (!isObj(v)) return null;
  if ('stringValue' in v) return str(v.stringValue);
  if ('boolValue' in v) return v.boolValue === true;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('arrayValue' in v) return list(isObj(v.arrayValue) ? v.arrayValue.values : [], 'arrayValue.values').map(anyValue);
  if ('kvlistValue' in v) return attributes(isObj(v.kvlistValue) ? v.kvlistValue.values : []);
  if ('bytesValue' in v) return str(v.bytesValue);
  return null;
};

const attributes = (v: unknown): Attributes =>
  Object.fromEntries(
    list(v, 'attributes')
      .filter(isObj)
      .map((kv) => [str(kv.key), anyValue(kv.value)]),
  );

/** What a resource tells of where its items come from: the service, and the function (FaaS conventions). */
interface Origin {
  service: string | null;
  faasName: string | undefined;
}

const originOf = (resource: unknown): Origin => {
  const attrs = attributes(isObj(resource) ? resource.attributes : []);
  const service = attrs['service.name'];
  const faasName = attrs['faas.name'];
  return { service: typeof service === 'string' ? service : null, faasName: typeof faasName === 'string' ? faasName : undefined };
};

/** Walks resource → scope → item, the shape both signals share. */
const eachItem = (resources: unknown, scopesKey: string, itemsKey: string, what: string, visit: (item: Obj, origin: Origin) => void) => {
  for (const rs of list(resources, what).filter(isObj)) {
    const origin = originOf(rs.resource);
    for (const ss of list(rs[scopesKey], scopesKey).filter(isObj)) for (const item of list(ss[itemsKey], itemsKey).filter(isObj)) visit(item, origin);
  }
};

const HEX_TRACE = /^[0-9a-f]{32}$/;
const HEX_SPAN = /^[0-9a-f]{16}$/;
const ZEROS = /^0+$/;

const readSpan = (s: Obj, { service, faasName }: Origin, hex: (v: unknown) => string): ReceivedSpan | string => {
  const traceId = hex(s.traceId);
  const spanId = hex(s.spanId);
  if (!HEX_TRACE.test(traceId) || ZEROS.test(traceId)) return `span "${str(s.name)}" has no valid traceId`;
  if (!HEX_SPAN.test(spanId) || ZEROS.test(spanId)) return `span "${str(s.name)}" has no valid spanId`;
  const parent = hex(s.parentSpanId);
  const startUs = micros(s.startTimeUnixNano);
  const endUs = micros(s.endTimeUnixNano);
  if (!Number.isFinite(startUs) || !Number.isFinite(endUs)) return `span "${str(s.name)}" has an unreadable start or end time`;
  const status = isObj(s.status) ? s.status : {};
  return {
    traceId,
    spanId,
    parentSpanId: HEX_SPAN.test(parent) && !ZEROS.test(parent) ? parent : null,
    name: str(s.name),
    kind: Number(s.kind ?? 0) || 0,
    service,
    startUs,
    endUs: Math.max(endUs, startUs),
    statusCode: Number(status.code ?? 0) || 0,
    statusMessage: str(status.message) || null,
    // A function named on its resource (one process per function, in a cluster) is named on each of its spans.
    attributes: { ...(faasName === undefined ? {} : { 'faas.name': faasName }), ...attributes(s.attributes) },
    events: list(s.events, 'events')
      .filter(isObj)
      .map((e) => ({ name: str(e.name), timeUs: micros(e.timeUnixNano), attributes: attributes(e.attributes) })),
  };
};

const spansOf = (request: unknown, hex: (v: unknown) => string): Decoded<ReceivedSpan> => {
  if (!isObj(request)) throw new UnreadableExport('the body is not an ExportTraceServiceRequest');
  const out: Decoded<ReceivedSpan> = { items: [], rejected: 0, reason: undefined };
  eachItem(request.resourceSpans, 'scopeSpans', 'spans', 'resourceSpans', (s, origin) => {
    const span = readSpan(s, origin, hex);
    if (typeof span === 'string') {
      out.rejected += 1;
      out.reason ??= span;
    } else out.items.push(span);
  });
  return out;
};

const POINT_KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

const pointsOf = (request: unknown): Decoded<MetricPoint> => {
  if (!isObj(request)) throw new UnreadableExport('the body is not an ExportMetricsServiceRequest');
  const out: Decoded<MetricPoint> = { items: [], rejected: 0, reason: undefined };
  eachItem(request.resourceMetrics, 'scopeMetrics', 'metrics', 'resourceMetrics', (m, { service }) => {
    const kind = POINT_KINDS.find((k) => isObj(m[k]));
    if (!kind || !str(m.name)) {
      out.rejected += 1;
      out.reason ??= `metric "${str(m.name)}" has no name or no data`;
      return;
    }
    for (const p of list((m[kind] as Obj).dataPoints, 'dataPoints').filter(isObj)) {
      const counted = kind !== 'gauge' && kind !== 'sum';
      const raw = counted ? p.sum : (p.asDouble ?? p.asInt);
      out.items.push({
        service,
        name: str(m.name),
        unit: str(m.unit),
        kind: kind === 'exponentialHistogram' ? 'exponential_histogram' : kind,
        attributes: attributes(p.attributes),
        timeUs: micros(p.timeUnixNano),
        value: raw === undefined || raw === null ? null : Number(raw),
        count: counted ? Number(p.count ?? 0) : null,
      });
    }
  });
  return out;
};

const fromJson = (body: Buffer): unknown => {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new UnreadableExport(`the body is not valid JSON: ${(error as Error).message}`);
  }
};

const fromProtobuf = (body: Buffer, type: string): unknown => {
  try {
    const t = otlpType(type);
    return t.toObject(t.decode(body), { longs: String, enums: Number, bytes: String, oneofs: false });
  } catch (error) {
    throw new UnreadableExport(`the body is not a protobuf ${type}: ${(error as Error).message}`);
  }
};

// OTLP JSON carries ids in hex; protobufjs hands bytes back in base64.
const hexFromJson = (v: unknown): string => str(v).toLowerCase();
const hexFromBase64 = (v: unknown): string => Buffer.from(str(v), 'base64').toString('hex');

export type Encoding = 'json' | 'protobuf';

export const decodeSpans = (body: Buffer, encoding: Encoding): Decoded<ReceivedSpan> =>
  encoding === 'json' ? spansOf(fromJson(body), hexFromJson) : spansOf(fromProtobuf(body, 'ExportTraceServiceRequest'), hexFromBase64);

export const decodeMetrics = (body: Buffer, encoding: Encoding): Decoded<MetricPoint> =>
  pointsOf(encoding === 'json' ? fromJson(body) : fromProtobuf(body, 'ExportMetricsServiceRequest'));
