// A real OTLP/HTTP endpoint for tests: a node:http server that takes the exporters' requests at
// /v1/traces and /v1/metrics and keeps them; http/json ones are read back as plain spans and the
// latest value of each metric's series (cumulative temporality: the latest export holds the totals).
import { createServer } from 'node:http';

type AnyValue = { stringValue?: string; intValue?: number | string; doubleValue?: number; boolValue?: boolean };
type KeyValue = { key: string; value: AnyValue };

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 'unspecified';
  status: 'unset' | 'ok' | 'error';
  attributes: Record<string, string | number | boolean>;
  /** The spans this one is linked to (another trace's span that did the work, for instance). */
  links: Array<{ traceId: string; spanId: string }>;
  service: string;
}

export interface MetricsSnapshot {
  /** The sum of a counter's, the value of a gauge's, or the count of a histogram's points whose attributes include `attributes`. */
  value(name: string, attributes?: Record<string, unknown>): number;
  has(name: string, attributes?: Record<string, unknown>): boolean;
  units: Map<string, string>;
}

/** An export request as it arrived (http/protobuf bodies are kept as they are, not decoded). */
export interface OtlpRequest {
  path: string;
  contentType: string;
  body: Buffer;
}

export interface OtlpReceiver {
  url: string;
  requests(): OtlpRequest[];
  spans(): ReceivedSpan[];
  metricsSnapshot(): MetricsSnapshot;
  stop(): Promise<void>;
}

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUSES = ['unset', 'ok', 'error'] as const;

const valueOf = (value: AnyValue): string | number | boolean =>
  value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? value.boolValue ?? ''));

const attributesOf = (list: KeyValue[] | undefined): Record<string, string | number | boolean> =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));

interface Point {
  attributes: Record<string, string | number | boolean>;
  value: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- OTLP/JSON as it arrives */
const pointsOf = (metric: any): Point[] => {
  const data = metric.sum ?? metric.gauge ?? metric.histogram;
  return ((data?.dataPoints ?? []) as any[]).map((p) => ({
    attributes: attributesOf(p.attributes),
    value: metric.histogram ? Number(p.count ?? 0) : Number(p.asInt ?? p.asDouble ?? 0),
  }));
};

const spansOf = (body: any): ReceivedSpan[] =>
  ((body.resourceSpans ?? []) as any[]).flatMap((resource) => {
    const service = String(attributesOf(resource.resource?.attributes)['service.name'] ?? '');
    return ((resource.scopeSpans ?? []) as any[]).flatMap((scope) =>
      ((scope.spans ?? []) as any[]).map((span): ReceivedSpan => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: KINDS[Number(span.kind ?? 0)] ?? 'unspecified',
        status: STATUSES[Number(span.status?.code ?? 0)] ?? 'unset',
        attributes: attributesOf(span.attributes),
        links: ((span.links ?? []) as any[]).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
        service,
      })),
    );
  });
/* eslint-enable @typescript-eslint/no-explicit-any */

const matches = (point: Point, attributes: Record<string, unknown>) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value);

/** Starts an OTLP/HTTP (http/json) endpoint on a free port of 127.0.0.1. */
export const startOtlpReceiver = async (): Promise<OtlpReceiver> => {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpRequest[] = [];
  const series = new Map<string, Map<string, Point>>();
  const units = new Map<string, string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      requests.push({ path: req.url ?? '', contentType, body: raw });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- OTLP/JSON as it arrives
      const body: any = contentType.startsWith('application/json') ? JSON.parse(raw.toString('utf8') || '{}') : {};
      if (req.url === '/v1/traces') spans.push(...spansOf(body));
      else if (req.url === '/v1/metrics') {
        /* eslint-disable @typescript-eslint/no-explicit-any -- OTLP/JSON as it arrives */
        for (const resource of (body.resourceMetrics ?? []) as any[])
          for (const scope of (resource.scopeMetrics ?? []) as any[])
            for (const metric of (scope.metrics ?? []) as any[]) {
              units.set(metric.name, metric.unit ?? '');
              const points = series.get(metric.name) ?? new Map<string, Point>();
              for (const point of pointsOf(metric)) points.set(JSON.stringify(Object.entries(point.attributes).sort()), point);
              series.set(metric.name, points);
            }
        /* eslint-enable @typescript-eslint/no-explicit-any */
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...requests],
    spans: () => [...spans],
    metricsSnapshot: () => {
      const copy = new Map([...series].map(([name, points]) => [name, [...points.values()]]));
      const selected = (name: string, attributes: Record<string, unknown>) => (copy.get(name) ?? []).filter((p) => matches(p, attributes));
      return {
        value: (name, attributes = {}) => selected(name, attributes).reduce((sum, p) => sum + p.value, 0),
        has: (name, attributes = {}) => selected(name, attributes).length > 0,
        units: new Map(units),
      };
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};
