// The OTLP/HTTP receiver of the local platform: `POST /v1/traces` and `POST /v1/metrics` at the
// gateway, where `npm start` points its functions' exporters. It answers as the OTLP specification
// says: 200 with an export response (a partial success names what was refused), in the encoding of
// the request; 400 with a google.rpc.Status for a body it cannot read; 415 for a content type or
// encoding it does not speak. A database that is down answers 503, which exporters retry.
import type { IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { UnsupportedMediaType } from '../../functions/runtime/errors.js';
import { problemResponse } from '../../functions/runtime/http.js';
import type { GatewayResponse, PlatformRoute } from '../gateway.js';
import { decodeMetrics, decodeSpans, otlpType, UnreadableExport, type Decoded, type Encoding, type MetricPoint, type ReceivedSpan } from './decode.js';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

/** The request's encoding, or a 415 naming what is spoken. */
const encodingOf = (req: IncomingMessage): Encoding => {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === PROTOBUF) return 'protobuf';
  if (type === JSON_TYPE) return 'json';
  throw new UnsupportedMediaType(`OTLP/HTTP takes ${PROTOBUF} or ${JSON_TYPE}, not "${type || 'no content type'}"`);
};

/** The body without its Content-Encoding (exporters gzip when OTEL_EXPORTER_OTLP_COMPRESSION says so). */
const unzipped = (req: IncomingMessage, body: Buffer): Buffer => {
  const coding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return body;
  if (coding !== 'gzip') throw new UnsupportedMediaType(`Content-Encoding "${coding}" is not read here: send gzip or none`);
  try {
    return gunzipSync(body);
  } catch (error) {
    throw new UnreadableExport(`the gzip body cannot be read: ${(error as Error).message}`);
  }
};

const encoded = (encoding: Encoding, status: number, type: string, message: Record<string, unknown>): GatewayResponse => {
  if (encoding === 'json') return { status, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(message) };
  const t = otlpType(type);
  return { status, headers: { 'content-type': PROTOBUF }, body: t.encode(t.fromObject(message)).finish() };
};

/** google.rpc.Status with code 3 (INVALID_ARGUMENT). */
const refusal = (encoding: Encoding, message: string): GatewayResponse => encoded(encoding, 400, 'RpcStatus', { code: 3, message });

interface Signal<T> {
  path: string;
  decode: (body: Buffer, encoding: Encoding) => Decoded<T>;
  keep: (items: T[]) => Promise<void>;
  response: string;
  rejectedField: string;
}

const receiverRoute = <T>(signal: Signal<T>): PlatformRoute => ({
  method: 'POST',
  path: signal.path,
  handle: async (req, body) => {
    let encoding: Encoding;
    try {
      encoding = encodingOf(req);
    } catch (error) {
      return problemResponse(error);
    }
    let decoded: Decoded<T>;
    try {
      decoded = signal.decode(unzipped(req, body), encoding);
    } catch (error) {
      if (error instanceof UnreadableExport) return refusal(encoding, error.message);
      return problemResponse(error);
    }
    await signal.keep(decoded.items);
    // Proto3 JSON writes 64-bit integers as strings.
    const partial = decoded.rejected > 0 ? { partialSuccess: { [signal.rejectedField]: String(decoded.rejected), errorMessage: decoded.reason ?? '' } } : {};
    return encoded(encoding, 200, signal.response, partial);
  },
});

export interface ReceiverStores {
  keepSpans(spans: ReceivedSpan[]): Promise<void>;
  keepPoints(points: MetricPoint[]): void;
}

/** The two OTLP/HTTP routes, keeping what they receive in `stores`. */
export const otlpRoutes = (stores: ReceiverStores): PlatformRoute[] => [
  receiverRoute<ReceivedSpan>({
    path: '/v1/traces',
    decode: decodeSpans,
    keep: (spans) => stores.keepSpans(spans),
    response: 'ExportTraceServiceResponse',
    rejectedField: 'rejectedSpans',
  }),
  receiverRoute<MetricPoint>({
    path: '/v1/metrics',
    decode: decodeMetrics,
    keep: async (points) => stores.keepPoints(points),
    response: 'ExportMetricsServiceResponse',
    rejectedField: 'rejectedDataPoints',
  }),
];
