// The default protocol, http/protobuf, against a real OTLP/HTTP endpoint: an invocation's trace
// and the metrics arrive as protobuf at /v1/traces and /v1/metrics.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { query, type RegisteredFunction } from './definition.js';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-testing.js';
import { flushTelemetry, startTelemetry, stopTelemetry } from './telemetry.js';
import { startFunctions } from './testing.js';

const ping: RegisteredFunction = {
  name: 'probe-ping',
  context: 'probe',
  path: 'probe/queries/ping',
  definition: query({ route: 'GET /probe/ping', access: 'public', handle: () => Promise.resolve({ pong: true }) }),
};

const api = startFunctions([ping]);
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
  expect(await startTelemetry('probe')).toBe(true);
});

afterAll(async () => {
  await stopTelemetry();
  await receiver.stop();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
});

it('exports the trace and the metrics as protobuf by default', async () => {
  const traceId = randomBytes(16);
  const answer = await api.request('GET', '/probe/ping', {
    headers: { traceparent: `00-${traceId.toString('hex')}-${randomBytes(8).toString('hex')}-01` },
  });
  expect(answer.status).toBe(200);
  await flushTelemetry();
  const traces = receiver.requests().filter((r) => r.path === '/v1/traces');
  expect(traces.length).toBeGreaterThan(0);
  expect(traces.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);
  // The trace id travels as its 16 raw bytes, the function's name as a string.
  expect(traces.some((r) => r.body.includes(traceId) && r.body.includes(Buffer.from(ping.name)))).toBe(true);
  const metrics = receiver.requests().filter((r) => r.path === '/v1/metrics');
  expect(metrics.some((r) => r.contentType === 'application/x-protobuf' && r.body.includes(Buffer.from('faas.invoke_duration')))).toBe(true);
});
