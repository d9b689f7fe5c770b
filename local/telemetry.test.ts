// Traces and metrics as a collector receives them: the platform exports over OTLP/HTTP (http/json)
// to a real endpoint served here, and the test reads what arrived. One trace covers an order from
// checkout to confirmed and to its delivery to Notification, across every function and broker hop,
// each span's parent in the export; a retried delivery shows each attempt; the metrics move.
// Run over the embedded broker, and over Kafka too when KAFKA_BROKERS is set.
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defineEvent, toBinaryHttp, type ReceivedEvent } from '../events/index.js';
import { handler, type RegisteredFunction } from '../functions/runtime/definition.js';
import { Unavailable } from '../functions/runtime/errors.js';
import { poolFor } from '../functions/runtime/db.js';
import { drainAll } from '../functions/runtime/lifecycle.js';
import type { ReceivedSpan } from '../functions/runtime/otlp-testing.js';
import { useSmtpServer } from '../functions/runtime/smtp-testing.js';
import { flushTelemetry } from '../functions/runtime/telemetry.js';
import type { TriggerSpec } from './routing.js';
import { checkout, newCustomer, productInStock, SAGA_FUNCTIONS, usePlatform } from './journey/platform-testing.js';
import { checkedFetch, publisherHeaders, waitFor } from './testing.js';

process.env.JWT_SECRET ??= 'telemetry-test-secret-telemetry-test-secret';

const nudged = defineEvent<{ n: number }>('oteltest', 'nudged', 1, {
  $id: 'https://gotuto.dev/schemas/events/oteltest/nudged.v1.json',
  type: 'object',
  required: ['n'],
  properties: { n: { type: 'integer' } },
});

const smtp = useSmtpServer();

/** Answers 503 to the first delivery of each event, then takes it; never takes an event with n = 3. */
const seen = new Map<string, number>();
const flaky: RegisteredFunction = {
  name: 'platform-oteltest-flaky',
  context: 'platform',
  path: 'platform/handlers/oteltest-flaky',
  definition: handler({
    event: nudged,
    handle: async (event) => {
      const n = (seen.get(event.id) ?? 0) + 1;
      seen.set(event.id, n);
      if (n === 1 || event.data.n === 3) throw new Unavailable('not yet');
    },
  }),
};
const flakyTrigger: TriggerSpec = {
  name: 'platform-oteltest-flaky-trigger',
  filters: [{ exact: { type: nudged.type } }],
  subscriber: { service: flaky.name },
  delivery: { retry: 2, backoffPolicy: 'linear', backoffDelayMs: 20, timeoutMs: 5000 },
  ordered: false,
};

const brokers: ('embedded' | 'kafka')[] = ['embedded', ...(process.env.KAFKA_BROKERS ? (['kafka'] as const) : [])];

describe.each(brokers)('telemetry over the %s broker', (kind) => {
  const shop = usePlatform({ otlp: true, broker: kind, start: { extraFunctions: [flaky], extraTriggers: [flakyTrigger] } });
  const { call } = shop;
  const product = () => productInStock(call, shop.admin);
  const customer = async () => (await newCustomer(call, shop.admin)).token;
  /** Checks out one unit of `productId` under the caller's trace `traceId`; the order's id. */
  const checkoutIn = (token: string, productId: string, traceId: string, callerSpan: string) =>
    checkout(call, token, productId, { traceparent: `00-${traceId}-${callerSpan}-01` });

  it('follows an order from checkout to confirmed and to its delivery to Notification in one trace, every parent present', async () => {
    const productId = await product();
    const token = await customer();
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const orderId = await checkoutIn(token, productId, traceId, callerSpan);
    const confirmed = await waitFor(
      () => call('GET', `/orders/${orderId}`, shop.admin),
      (r) => ['confirmed', 'cancelled'].includes(r.body?.status),
    );
    expect(confirmed.body.status).toBe('confirmed');
    await shop.platform.broker.idle();

    // Notification's handler of order-confirmed is the last hop; its span may still be in a batch.
    const spans = await waitFor(
      async () => {
        await flushTelemetry();
        return shop.receiver.spans().filter((s) => s.traceId === traceId);
      },
      (found) => found.some((s) => s.name === 'notification-on-order-confirmed'),
      30_000,
    );
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const root = spans.find((s) => s.name === 'order-checkout');
    expect(root).toMatchObject({ kind: 'server', parentSpanId: callerSpan });
    expect(root?.attributes).toMatchObject({ 'faas.name': 'order-checkout', 'faas.trigger': 'http', 'http.response.status_code': 202 });
    // Every span but the one that continued the caller's has its parent in the export.
    for (const span of spans) if (span !== root) expect(byId.has(span.parentSpanId), `parent of ${span.name}`).toBe(true);

    const functions = new Set(spans.filter((s) => s.kind === 'server' && s.attributes['faas.name']).map((s) => s.attributes['faas.name']));
    for (const name of SAGA_FUNCTIONS) expect(functions, name).toContain(name);
    // The Catalog call and the statements are children of the invocation that made them.
    const catalogCall = spans.find((s) => s.name === 'POST /catalog/products/validate');
    expect(catalogCall).toMatchObject({ kind: 'client', parentSpanId: expect.any(String) });
    expect(spans.find((s) => s.attributes['faas.name'] === 'catalog-validate-products')?.parentSpanId).toBe(catalogCall?.spanId);
    const statement = spans.find((s) => s.attributes['db.system.name'] === 'postgresql' && s.name === 'INSERT');
    expect(statement?.attributes['db.query.text']).toMatch(/^\s*INSERT/);
    expect(statement?.attributes['db.query.text']).not.toContain(orderId);
    // Each handler continues the broker's delivery attempt, which continues the event's writer.
    const handlerSpan = spans.find((s) => s.attributes['faas.name'] === 'order-on-stock-reserved') as ReceivedSpan;
    const attempt = byId.get(handlerSpan.parentSpanId);
    expect(attempt).toMatchObject({ kind: 'client', name: expect.stringMatching(/^deliver /) });
    expect(attempt?.attributes).toMatchObject({ 'gotuto.delivery.attempt': 1, 'http.response.status_code': 204, 'gotuto.delivery.outcome': 'delivered' });
    expect(spans.filter((s) => s.name === 'POST /broker').length).toBeGreaterThanOrEqual(4);
    // Notification's email of the confirmation goes out over SMTP in a CLIENT span of this trace,
    // under the handler that recorded it, whichever sender run claimed it (the handler's own run
    // after its commit, one another handler or the schedule started first).
    const sent = await waitFor(
      async () => {
        await flushTelemetry();
        return shop.receiver.spans().filter((s) => s.traceId === traceId && s.name === 'smtp send' && s.attributes['gotuto.email.kind'] === 'order-confirmed');
      },
      (found) => found.length > 0,
      60_000,
    );
    expect(sent.map((s) => s.kind)).toEqual(['client']);
    const inTrace = new Map(
      shop.receiver
        .spans()
        .filter((s) => s.traceId === traceId)
        .map((s) => [s.spanId, s]),
    );
    const recorder = (span: ReceivedSpan | undefined): ReceivedSpan | undefined =>
      span === undefined || span.kind === 'server' ? span : recorder(inTrace.get(span.parentSpanId));
    expect(recorder(inTrace.get(sent[0]?.parentSpanId ?? ''))?.attributes['faas.name']).toBe('notification-on-order-confirmed');
    expect(smtp.accepted.length).toBeGreaterThan(0);
  }, 180_000);

  it('shows each attempt of a retried delivery as a span of its own', async () => {
    const event: ReceivedEvent<unknown> = {
      id: randomUUID(),
      type: nudged.type,
      source: '/test/telemetry',
      subject: randomUUID(),
      time: new Date().toISOString(),
      data: { n: 1 },
    };
    const traceId = randomBytes(16).toString('hex');
    const { headers, body } = toBinaryHttp(event);
    const published = await checkedFetch(`${shop.platform.url}/broker`, {
      method: 'POST',
      headers: { ...headers, ...publisherHeaders(), traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body,
    });
    expect(published.status).toBe(202);
    const spans = await waitFor(
      async () => {
        await flushTelemetry();
        return shop.receiver.spans().filter((s) => s.traceId === traceId);
      },
      (found) => found.filter((s) => s.name === `deliver ${flakyTrigger.name}`).length >= 2 && found.some((s) => s.name === flaky.name),
      30_000,
    );
    const attempts = spans
      .filter((s) => s.name === `deliver ${flakyTrigger.name}`)
      .sort((a, b) => Number(a.attributes['gotuto.delivery.attempt']) - Number(b.attributes['gotuto.delivery.attempt']));
    expect(
      attempts.map((a) => [a.attributes['gotuto.delivery.attempt'], a.attributes['http.response.status_code'], a.attributes['gotuto.delivery.outcome']]),
    ).toEqual([
      [1, 503, 'retry'],
      [2, 204, 'delivered'],
    ]);
    expect(attempts[0]?.status).toBe('error');
    // The subscriber's two invocations each continue their own attempt.
    const invocations = spans.filter((s) => s.name === flaky.name);
    expect(invocations.map((s) => s.parentSpanId).sort()).toEqual(attempts.map((a) => a.spanId).sort());
    expect(spans.find((s) => s.name === 'POST /broker')?.kind).toBe('server');
  }, 60_000);

  it('moves the counters and gauges for an order', async () => {
    await flushTelemetry();
    const before = shop.receiver.metricsSnapshot();
    const productId = await product();
    const token = await customer();
    const orderId = await checkoutIn(token, productId, randomBytes(16).toString('hex'), randomBytes(8).toString('hex'));
    await waitFor(
      () => call('GET', `/orders/${orderId}`, shop.admin),
      (r) => r.body?.status === 'confirmed',
    );
    expect((await call('POST', `/orders/${orderId}/cancel`, token, { reason: 'changed my mind' })).status).toBe(200);
    // The same event published twice: the second delivery is dropped by the handler's inbox.
    const event = { id: randomUUID(), type: nudged.type, source: '/test/telemetry', subject: randomUUID(), time: new Date().toISOString(), data: { n: 2 } };
    const { headers, body } = toBinaryHttp(event);
    for (let i = 0; i < 2; i++)
      expect((await checkedFetch(`${shop.platform.url}/broker`, { method: 'POST', headers: { ...headers, ...publisherHeaders() }, body })).status).toBe(202);
    // One the subscriber never takes: retried twice, then given up.
    const doomed = toBinaryHttp({ ...event, id: randomUUID(), data: { n: 3 } });
    expect(
      (await checkedFetch(`${shop.platform.url}/broker`, { method: 'POST', headers: { ...doomed.headers, ...publisherHeaders() }, body: doomed.body })).status,
    ).toBe(202);
    await waitFor(
      async () => seen.get(event.id) ?? 0,
      (n) => n >= 2,
    );
    await shop.platform.broker.idle();
    // Notification's sends after commit run in the background.
    await drainAll(10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await flushTelemetry();
    const after = shop.receiver.metricsSnapshot();
    const moved = (name: string, attributes: Record<string, unknown> = {}) => after.value(name, attributes) - before.value(name, attributes);

    expect(moved('gotuto.orders.placed')).toBe(1);
    expect(moved('gotuto.orders.confirmed')).toBe(1);
    expect(moved('gotuto.order.confirmation.duration')).toBe(1);
    expect(moved('gotuto.saga.step.duration', { step: 'reserving-stock' })).toBe(1);
    expect(moved('gotuto.saga.step.duration', { step: 'invoicing' })).toBe(1);
    // Both copies end delivered; the first attempt of one of them failed; the later copy met the inbox.
    expect(moved('gotuto.events.delivered', { trigger: flakyTrigger.name, type: nudged.type })).toBe(2);
    expect(moved('gotuto.events.retried', { trigger: flakyTrigger.name })).toBe(1 + 2);
    expect(moved('gotuto.events.dead_lettered', { trigger: flakyTrigger.name, type: nudged.type })).toBe(1);
    expect(moved('gotuto.orders.cancelled', { reason: 'customer' })).toBe(1);
    expect(moved('gotuto.saga.step.duration', { step: 'awaiting-payment' })).toBe(1);
    expect(moved('gotuto.emails.sent', { kind: 'order-confirmed' })).toBe(1);
    expect(moved('gotuto.inbox.duplicates', { handler: flaky.name })).toBe(1);
    expect(moved('faas.invoke_duration', { 'faas.name': 'order-checkout' })).toBeGreaterThanOrEqual(1);
    expect(after.value('faas.coldstarts', { 'faas.name': 'order-checkout' })).toBe(1);
    expect(after.units.get('gotuto.order.confirmation.duration')).toBe('s');
    expect(after.units.get('gotuto.orders.placed')).toBe('{order}');
    // The gauges are read at each export: the order's outbox is published, so nothing waits.
    expect(after.has('gotuto.outbox.backlog', { context: 'order' })).toBe(true);
    expect(after.value('gotuto.outbox.backlog', { context: 'order' })).toBe(0);
    expect(after.has('gotuto.outbox.oldest_age', { context: 'order' })).toBe(true);
  }, 180_000);
  it('counts an order confirmed once when its first commit met a conflict and the broker retried it', async () => {
    // The first commit that confirms an order fails as a concurrent writer's conflict would
    // (SQLSTATE 40001, at COMMIT, after the handler decided); a sequence remembers it across the rollback.
    const db = await poolFor('order');
    await db.query(`CREATE SEQUENCE "order".telemetry_conflict_once`);
    await db.query(`CREATE FUNCTION "order".telemetry_conflict_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.type = 'order-confirmed' AND nextval('"order".telemetry_conflict_once') = 1 THEN
          RAISE EXCEPTION 'order % changed while this change was decided', NEW.stream_id USING ERRCODE = '40001';
        END IF;
        RETURN NULL;
      END $$`);
    await db.query(`CREATE CONSTRAINT TRIGGER telemetry_conflict_once AFTER INSERT ON "order".order_events
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "order".telemetry_conflict_once()`);
    try {
      await flushTelemetry();
      const before = shop.receiver.metricsSnapshot();
      const productId = await product();
      const token = await customer();
      const orderId = await checkoutIn(token, productId, randomBytes(16).toString('hex'), randomBytes(8).toString('hex'));
      const confirmed = await waitFor(
        () => call('GET', `/orders/${orderId}`, shop.admin),
        (r) => ['confirmed', 'cancelled'].includes(r.body?.status),
      );
      expect(confirmed.body.status).toBe('confirmed');
      await shop.platform.broker.idle();
      await flushTelemetry();
      const after = shop.receiver.metricsSnapshot();
      const moved = (name: string, attributes: Record<string, unknown> = {}) => after.value(name, attributes) - before.value(name, attributes);
      // The conflict was met (and retried), yet the order counts once, with one confirmation time.
      expect(Number((await db.query(`SELECT last_value FROM "order".telemetry_conflict_once`)).rows[0].last_value)).toBe(2);
      expect(moved('gotuto.events.retried', { trigger: 'order-on-invoice-created' })).toBe(1);
      expect(moved('gotuto.orders.placed')).toBe(1);
      expect(moved('gotuto.orders.confirmed')).toBe(1);
      expect(moved('gotuto.order.confirmation.duration')).toBe(1);
      expect(moved('gotuto.saga.step.duration', { step: 'invoicing' })).toBe(1);
    } finally {
      await db.query(`DROP TRIGGER telemetry_conflict_once ON "order".order_events`);
      await db.query(`DROP FUNCTION "order".telemetry_conflict_once()`);
      await db.query(`DROP SEQUENCE "order".telemetry_conflict_once`);
    }
  }, 180_000);
});
