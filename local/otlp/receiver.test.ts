// The OTLP/HTTP receiver of the local platform, fed by the OpenTelemetry SDK's own exporters over
// HTTP, protobuf and JSON alike, and by bodies no exporter should send.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolFor } from '../../functions/runtime/db.js';
import type { Platform } from '../platform.js';
import { checkedFetch, createTestEnvironment, type TestEnvironment } from '../testing.js';
import { otlpType } from './decode.js';
import { spansOf, tracesFor } from './spans.js';

let env: TestEnvironment;
let platform: Platform;

beforeAll(async () => {
  env = await createTestEnvironment();
  platform = await env.start({ deliver: false });
}, 120_000);

afterAll(async () => {
  await env?.dispose();
}, 60_000);

/** Two spans of one trace as a function would make them (a server span and its SQL child); their trace id. */
const recordSpans = (orderId: string): { spans: InMemorySpanExporter; traceId: string } => {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'order-checkout', 'faas.name': 'order-checkout' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('receiver-test');
  const server = tracer.startSpan('POST /orders/carts/{id}/checkout', {
    kind: SpanKind.SERVER,
    attributes: { 'faas.name': 'order-checkout', 'gotuto.order.id': orderId },
  });
  const child = tracer.startSpan('INSERT order.order_events', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), server));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock detected' });
  child.end();
  server.end();
  return { spans: memory, traceId: server.spanContext().traceId };
};

const exportWith = (exporter: SpanExporter, memory: InMemorySpanExporter) =>
  new Promise<{ code: number; error?: Error }>((done) => exporter.export(memory.getFinishedSpans(), done));

const pushMetrics = async (exporter: PushMetricExporter) => {
  const results: number[] = [];
  const wrapped: PushMetricExporter = {
    export: (metrics, done) => exporter.export(metrics, (result) => (results.push(result.code), done(result))),
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
  };
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'order-checkout' }),
    readers: [new PeriodicExportingMetricReader({ exporter: wrapped, exportIntervalMillis: 60_000 })],
  });
  const meter = provider.getMeter('receiver-test');
  meter.createCounter('gotuto.orders.placed', { unit: '{order}' }).add(3);
  meter.createHistogram('gotuto.order.confirmation.duration', { unit: 's' }).record(0.25);
  await provider.forceFlush();
  await provider.shutdown();
  return results;
};

describe('the OTLP/HTTP receiver', () => {
  for (const [protocol, Exporter] of [
    ['protobuf', ProtoTraceExporter],
    ['JSON', JsonTraceExporter],
  ] as const) {
    it(`keeps the spans an SDK exporter sends over ${protocol}`, async () => {
      const orderId = crypto.randomUUID();
      const { spans, traceId } = recordSpans(orderId);
      const result = await exportWith(new Exporter({ url: `${platform.url}/v1/traces` }), spans);
      expect(result).toEqual({ code: 0 });

      const db = await poolFor('platform');
      expect(await tracesFor(db, [orderId])).toEqual([traceId]);
      const kept = await spansOf(db, [traceId]);
      expect(kept.map((s) => [s.name, s.kind, s.service, s.statusCode])).toEqual(
        expect.arrayContaining([
          ['POST /orders/carts/{id}/checkout', 2, 'order-checkout', 0],
          ['INSERT order.order_events', 3, 'order-checkout', 2],
        ]),
      );
      const server = kept.find((s) => s.kind === 2);
      expect(server?.attributes['faas.name']).toBe('order-checkout');
      expect(server?.endUs).toBeGreaterThanOrEqual(server?.startUs ?? Infinity);
    });
  }

  it('takes the metrics an SDK exporter pushes, protobuf and JSON', async () => {
    // A flush and the shutdown each export; every one must succeed.
    for (const exporter of [new ProtoMetricExporter({ url: `${platform.url}/v1/metrics` }), new JsonMetricExporter({ url: `${platform.url}/v1/metrics` })]) {
      const results = await pushMetrics(exporter);
      expect(results.length).toBeGreaterThan(0);
      expect(results.every((code) => code === 0)).toBe(true);
    }
  });

  const post = (path: string, type: string, body: Uint8Array<ArrayBuffer> | string, headers: Record<string, string> = {}) =>
    checkedFetch(`${platform.url}${path}`, { method: 'POST', headers: { 'content-type': type, ...headers }, body: new Blob([body]) });

  it('reads a gzip body, and answers a span it cannot keep with a partial success', async () => {
    const traceId = randomBytes(16).toString('hex');
    const request = {
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'gotuto' } },
              { key: 'faas.name', value: { stringValue: 'billing-on-invoice-requested' } },
            ],
          },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: randomBytes(8).toString('hex'),
                  name: 'kept\u0000',
                  kind: 2,
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: 1700000000500000000,
                },
                { traceId: 'not-hex', spanId: '00', name: 'refused' },
              ],
            },
          ],
        },
      ],
    };
    const response = await post('/v1/traces', 'application/json', new Uint8Array(gzipSync(JSON.stringify(request))), { 'content-encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ partialSuccess: { rejectedSpans: '1', errorMessage: 'span "refused" has no valid traceId' } });
    const [kept] = await spansOf(await poolFor('platform'), [traceId]);
    // The NUL character PostgreSQL refuses is replaced; the resource's function names the span.
    expect(kept).toMatchObject({ name: 'kept\uFFFD', service: 'gotuto', startUs: 1700000000000000, endUs: 1700000000500000 });
    expect(kept?.attributes['faas.name']).toBe('billing-on-invoice-requested');
  });

  it('refuses a body it cannot read with 400 and a google.rpc.Status in the request encoding', async () => {
    const json = await post('/v1/traces', 'application/json', '{"resourceSpans": ');
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ code: 3, message: expect.stringContaining('not valid JSON') });

    const shape = await post('/v1/metrics', 'application/json', '{"resourceMetrics": {}}');
    expect(shape.status).toBe(400);
    expect(await shape.json()).toEqual({ code: 3, message: 'resourceMetrics must be an array' });

    const proto = await post('/v1/traces', 'application/x-protobuf', new Uint8Array([0x0a, 0xff, 0xff, 0x01]));
    expect(proto.status).toBe(400);
    expect(proto.headers.get('content-type')).toBe('application/x-protobuf');
    const status = otlpType('RpcStatus').toObject(otlpType('RpcStatus').decode(new Uint8Array(await proto.arrayBuffer())));
    expect(status).toMatchObject({ code: 3, message: expect.stringContaining('not a protobuf ExportTraceServiceRequest') });
  });

  it('refuses other content types and encodings with 415', async () => {
    const text = await post('/v1/traces', 'text/plain', 'spans');
    expect(text.status).toBe(415);
    expect(text.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await text.json()).detail).toMatch(/application\/x-protobuf or application\/json/);

    const brotli = await post('/v1/metrics', 'application/json', '{}', { 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
  });

  it('keeps only the newest OTLP_RECEIVER_MAX_SPANS spans, and forgets the keys of those it dropped', async () => {
    process.env.OTLP_RECEIVER_MAX_SPANS = '3';
    try {
      const sent: { traceId: string; orderId: string }[] = [];
      for (let i = 0; i < 5; i++) {
        const one = { traceId: randomBytes(16).toString('hex'), orderId: crypto.randomUUID() };
        const span = {
          traceId: one.traceId,
          spanId: randomBytes(8).toString('hex'),
          name: `span ${i}`,
          attributes: [{ key: 'gotuto.order.id', value: { stringValue: one.orderId } }],
        };
        const response = await post('/v1/traces', 'application/json', JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [span] }] }] }));
        expect(response.status).toBe(200);
        sent.push(one);
      }
      const db = await poolFor('platform');
      expect(
        (
          await spansOf(
            db,
            sent.map((s) => s.traceId),
          )
        ).map((s) => s.name),
      ).toEqual(['span 2', 'span 3', 'span 4']);
      expect(await tracesFor(db, [sent[0]?.orderId ?? ''])).toEqual([]);
      expect(await tracesFor(db, [sent[4]?.orderId ?? ''])).toEqual([sent[4]?.traceId]);
    } finally {
      delete process.env.OTLP_RECEIVER_MAX_SPANS;
    }
  });
});
