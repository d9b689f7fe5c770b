// Trace context through one function's own functions-framework server, exported over OTLP/HTTP
// (http/json) to a real endpoint: which parent an invocation continues, and what an emitted event
// carries onward to the sink.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent, toBinaryHttp, toStructuredHttp, type ReceivedEvent } from '../../events/index.js';
import { handler, type RegisteredFunction } from './definition.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-testing.js';
import { flushTelemetry, startTelemetry, stopTelemetry, telemetryActive } from './telemetry.js';
import { deliveryTokenFor, startEventSink, startFunctions, useTestDatabase, type EventSink } from './testing.js';

const pinged = defineEvent<{ n: number }>('probe', 'pinged', 1, {
  $id: 'https://gotuto.dev/schemas/events/probe/pinged.v1.json',
  type: 'object',
  required: ['n'],
  properties: { n: { type: 'integer' } },
});
const ponged = defineEvent<{ n: number }>('probe', 'ponged', 1, {
  $id: 'https://gotuto.dev/schemas/events/probe/ponged.v1.json',
  type: 'object',
  required: ['n'],
  properties: { n: { type: 'integer' } },
});

const onPinged: RegisteredFunction = {
  name: 'probe-on-pinged',
  context: 'probe',
  path: 'probe/handlers/on-pinged',
  definition: handler({
    event: pinged,
    handle: async (event, ctx) => {
      await ctx.tx.emit(ponged.build(event.subject, { n: event.data.n + 1 }));
    },
  }),
};

useTestDatabase(['probe']);
const api = startFunctions([onPinged]);
let receiver: OtlpReceiver;
let sink: EventSink;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  sink = await startEventSink();
  process.env.K_SINK = sink.url;
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  expect(await startTelemetry('probe')).toBe(true);
});

afterAll(async () => {
  await stopTelemetry();
  await receiver.stop();
  await sink.close();
  delete process.env.K_SINK;
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
});

const event = (extensions: Partial<ReceivedEvent<unknown>> = {}): ReceivedEvent<unknown> => ({
  id: randomUUID(),
  type: pinged.type,
  source: '/test',
  subject: randomUUID(),
  time: new Date().toISOString(),
  data: { n: 1 },
  ...extensions,
});

const traceparent = () => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') });
const header = (t: { traceId: string; spanId: string }) => `00-${t.traceId}-${t.spanId}-01`;

const post = async (headers: Record<string, string>, body: string) =>
  api.requestAt(onPinged.path, 'POST', { rawBody: body, headers, token: await deliveryTokenFor(onPinged.name) });

/** The invocation span of the trace `traceId`, once exported. */
const invocationIn = async (traceId: string): Promise<{ span: ReceivedSpan | undefined; all: ReceivedSpan[] }> => {
  await flushTelemetry();
  const all = receiver.spans().filter((s) => s.traceId === traceId);
  return { span: all.find((s) => s.kind === 'server'), all };
};

describe('an event handler', () => {
  it('continues the `traceparent` extension of a binary-mode event when no header carries one', async () => {
    const caller = traceparent();
    const { headers, body } = toBinaryHttp(event({ traceparent: header(caller) }));
    expect((await post(headers, body)).status).toBe(204);
    const { span } = await invocationIn(caller.traceId);
    expect(span).toMatchObject({ name: onPinged.name, parentSpanId: caller.spanId });
    expect(span?.attributes).toMatchObject({ 'faas.name': onPinged.name, 'faas.trigger': 'pubsub', 'cloudevents.event_type': pinged.type });
  });

  it('continues the extension of a structured-mode event', async () => {
    const caller = traceparent();
    const { headers, body } = toStructuredHttp(event({ traceparent: header(caller) }));
    expect((await post(headers, body)).status).toBe(204);
    expect((await invocationIn(caller.traceId)).span?.parentSpanId).toBe(caller.spanId);
  });

  it('continues the HTTP header before the extension, as it comes from the delivery', async () => {
    const writer = traceparent();
    const delivery = { traceId: writer.traceId, spanId: randomBytes(8).toString('hex') };
    const { headers, body } = toBinaryHttp(event({ traceparent: header(writer) }));
    expect((await post({ ...headers, traceparent: header(delivery) }, body)).status).toBe(204);
    expect((await invocationIn(writer.traceId)).span?.parentSpanId).toBe(delivery.spanId);
  });

  it('gives the event it emits its own span as `traceparent`, which the sink receives', async () => {
    const caller = traceparent();
    const received = event({ traceparent: header(caller) });
    const { headers, body } = toBinaryHttp(received);
    expect((await post(headers, body)).status).toBe(204);
    const { all } = await invocationIn(caller.traceId);
    const emitted = sink.received.find((e) => e.type === ponged.type && e.subject === received.subject);
    const [, traceId, spanId] = (emitted?.traceparent ?? '').split('-');
    expect(traceId).toBe(caller.traceId);
    // The span that wrote it: the handler's transaction, a child of the invocation.
    const writer = all.find((s) => s.spanId === spanId);
    expect(writer).toMatchObject({ name: 'transaction', kind: 'client' });
    expect(all.find((s) => s.spanId === writer?.parentSpanId)?.name).toBe(onPinged.name);
    // Its statements are its children, their SQL without values.
    const insert = all.find((s) => s.parentSpanId === writer?.spanId && s.name === 'INSERT');
    expect(insert?.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.operation.name': 'INSERT' });
    expect(String(insert?.attributes['db.query.text'])).not.toContain(received.id);
  });

  it('starts a trace of its own when the event carries none', async () => {
    const before = new Set(receiver.spans().map((s) => s.traceId));
    const { headers, body } = toBinaryHttp(event());
    expect((await post(headers, body)).status).toBe(204);
    await flushTelemetry();
    const fresh = receiver.spans().filter((s) => !before.has(s.traceId) && s.kind === 'server');
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.parentSpanId).toBe('');
    expect(telemetryActive()).toBe(true);
  });
});
