// The order journey page as a person meets it, in the machine's Chromium: an order placed through
// the stack, searched by its number, shows its saga's steps, its events with their deliveries,
// attempts and dead letters, and the waterfall of the spans exported for it (sent here with the
// OpenTelemetry SDK as the runtime exports them); the second view shows the events flowing now.
import { randomUUID } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { beforeAll, describe, expect, it } from 'vitest';
import { chromium } from '../browser-testing.js';
import { order } from '../../events/index.js';
import { signToken } from '../../functions/runtime/auth.js';
import { handler, type RegisteredFunction } from '../../functions/runtime/definition.js';
import { Unavailable } from '../../functions/runtime/errors.js';
import { checkedFetch, waitFor } from '../testing.js';
import { openPage as openShared, placeOrder, waitForText } from './journey-testing.js';
import { usePlatform } from './platform-testing.js';

process.env.JWT_SECRET ??= 'journey-test-secret-journey-test-secret';

// An auditor of placed orders whose downstream is always down: each delivery is retried once, then dead-lettered.
const auditor: RegisteredFunction = {
  name: 'platform-journey-auditor',
  context: 'platform',
  path: 'platform/handlers/journey-auditor',
  definition: handler({
    event: order.orderPlaced,
    handle: async () => {
      throw new Unavailable('the audit log is down');
    },
  }),
};
const auditorTrigger = {
  name: 'platform-journey-auditor-trigger',
  filters: [{ exact: { type: order.orderPlaced.type } }],
  subscriber: { service: auditor.name },
  delivery: {
    retry: 1,
    backoffPolicy: 'linear' as const,
    backoffDelayMs: 20,
    timeoutMs: 5000,
    deadLetterSink: { service: 'platform-dead-letters', uri: '/?trigger=platform-journey-auditor-trigger' },
  },
  ordered: false,
};

const shop = usePlatform({ start: { extraFunctions: [auditor], extraTriggers: [auditorTrigger] }, browser: true });
const { call } = shop;

/**
 * A trace as the runtime and the brokers will export it: the checkout's server span, the broker's
 * ingress, two delivery attempts to Inventory's handler (the first refused) and the handler's server span.
 */
const exportTrace = async (orderId: string): Promise<string> => {
  const exporter = new OTLPTraceExporter({ url: `${shop.platform.url}/v1/traces` });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'gotuto' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('journey-test');
  const under = (parent: ReturnType<typeof tracer.startSpan>) => trace.setSpan(context.active(), parent);
  const checkout = tracer.startSpan('POST /orders/carts/{id}/checkout', {
    kind: SpanKind.SERVER,
    attributes: { 'faas.name': 'order-checkout', 'faas.trigger': 'http', 'gotuto.order.id': orderId },
  });
  const ingress = tracer.startSpan('broker ingress', { kind: SpanKind.PRODUCER, attributes: { 'faas.name': 'broker' } }, under(checkout));
  const attempt = (n: number, status: number) => {
    const span = tracer.startSpan(
      'deliver order-placed',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'faas.name': 'broker',
          'knative.trigger': 'inventory-on-order-placed',
          'gotuto.delivery.attempt': n,
          'http.response.status_code': status,
        },
      },
      under(ingress),
    );
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `subscriber answered ${status}` });
    return span;
  };
  const first = attempt(1, 503);
  first.end();
  const second = attempt(2, 204);
  tracer
    .startSpan(
      'CloudEvent order-placed',
      { kind: SpanKind.SERVER, attributes: { 'faas.name': 'inventory-on-order-placed', 'faas.trigger': 'pubsub' } },
      under(second),
    )
    .end();
  second.end();
  // A span whose parent never arrived (a hop that did not export its own): the page says so.
  const lost = trace.setSpanContext(context.active(), { traceId: checkout.spanContext().traceId, spanId: 'a1b2c3d4e5f60718', traceFlags: 1 });
  tracer.startSpan('CloudEvent stock-reserved', { kind: SpanKind.SERVER, attributes: { 'faas.name': 'order-on-stock-reserved' } }, lost).end();
  ingress.end();
  checkout.end();
  await provider.forceFlush();
  return checkout.spanContext().traceId;
};

const pushMetric = async () => {
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'order-checkout' }),
    readers: [
      new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${shop.platform.url}/v1/metrics` }), exportIntervalMillis: 60_000 }),
    ],
  });
  provider.getMeter('journey-test').createCounter('gotuto.orders.placed', { unit: '{order}' }).add(1);
  await provider.shutdown();
};

const openPage = () => openShared(shop.browser, shop.platform.url, shop.admin);

describe.skipIf(!chromium)('the order journey page (needs Chromium: CHROMIUM_PATH or chromium on PATH)', () => {
  let placed: { id: string; number: string };
  let traceId: string;

  beforeAll(async () => {
    placed = await placeOrder(call, shop.admin);
    traceId = await exportTrace(placed.id);
    // The auditor's delivery is retried once, then dead-lettered.
    await waitFor(
      () => call('GET', `/broker/dead-letters?subscriber=${auditor.name}`, shop.admin),
      (r) => r.body?.items?.some((l: { event: { subject?: string } }) => l.event.subject === placed.id),
    );
  }, 180_000);

  it('shows an order found by its number: saga steps, events with deliveries and dead letters, and the waterfall', async () => {
    const { page, outside } = await openPage();
    expect(page.url()).toBe(`${shop.platform.url}/journey`);
    await page.type('#search-input', placed.number);
    await page.click('#search button[type=submit]');
    const shown = await waitForText(page, [`Order ${placed.number}`, 'confirmed', 'Saga', 'Events', 'Traces']);

    // The saga, step by step, with the deadlines Order set and kept.
    expect(shown).toMatch(/order-placed/);
    expect(shown).toMatch(/invoice-requested/);
    expect(shown).toMatch(/met \(stock-reserved\)|met \(invoice-requested\)/);
    // The order's events, each with its Triggers' deliveries.
    for (const type of ['order.order-placed', 'inventory.stock-reserved', 'order.invoice-requested', 'billing.invoice-created', 'order.order-confirmed']) {
      expect(shown).toContain(type);
    }
    expect(shown).toMatch(/inventory-on-order-placed\s+inventory-on-order-placed\s+delivered\s+1 attempt/);
    // The auditor's delivery: two attempts, then its dead letter with the last status.
    expect(shown).toMatch(/platform-journey-auditor-trigger\s+platform-journey-auditor\s+dead\s+2 attempts\s+503/);
    expect(shown).toMatch(/dead letter [0-9a-f-]{36}: dead, 1 failure\(s\), status 503/);
    // The waterfall of the exported trace: functions, broker hops and the refused attempt.
    expect(shown).toContain(`trace ${traceId} · 6 spans`);
    expect(shown).toMatch(/order-checkout\s+POST \/orders\/carts\/\{id\}\/checkout/);
    expect(shown).toMatch(/gotuto\.delivery\.attempt=1.*http\.response\.status_code=503.*subscriber answered 503/);
    expect(shown).toMatch(/inventory-on-order-placed\s+CloudEvent order-placed/);
    const rows = await page.$$eval('.waterfall .span', (items) => items.map((li) => li.querySelector('.label')?.getAttribute('style')));
    expect(rows).toEqual(['padding-left:0px', 'padding-left:14px', 'padding-left:28px', 'padding-left:28px', 'padding-left:42px', 'padding-left:0px']);
    expect(shown).toMatch(/order-on-stock-reserved\s+CloudEvent stock-reserved\s+parent not received/);
    expect(page.url()).toBe(`${shop.platform.url}/journey?q=${encodeURIComponent(placed.number)}`);
    expect(outside).toEqual([]);
    await page.close();
  }, 60_000);

  it('finds the same order by its id and by its checkout correlation id', async () => {
    const placedEvent = (await call('GET', `/broker/events?type=${order.orderPlaced.type}&subject=${placed.id}`, shop.admin)).body.items[0].event;
    for (const search of [placed.id, placedEvent.correlationid as string]) {
      const response = await checkedFetch(`${shop.platform.url}/journey/order?q=${encodeURIComponent(search)}`, {
        headers: { authorization: `Bearer ${shop.admin}` },
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain(`Order ${placed.number}`);
    }
  });

  it("finds an order by a later request's correlation id: its payment's", async () => {
    const invoice = (await call('GET', `/billing/invoices?orderId=${placed.id}`, shop.admin)).body.items[0];
    const correlation = randomUUID();
    const paid = await call('POST', `/billing/invoices/${invoice.id}/payments`, shop.admin, { amount: invoice.total }, { 'x-correlation-id': correlation });
    expect(paid.status).toBe(201);
    // Order's order-paid carries the payment's correlation; over Kafka the broker's trace may trail it by a moment.
    await waitFor(
      () => call('GET', `/broker/events?correlationid=${correlation}`, shop.admin),
      (r) => r.body?.items?.some((i: { event: { type: string } }) => i.event.type === order.orderPaid.type),
    );
    const response = await checkedFetch(`${shop.platform.url}/journey/order?q=${correlation}`, { headers: { authorization: `Bearer ${shop.admin}` } });
    expect(response.status).toBe(200);
    const fragment = await response.text();
    expect(fragment).toContain(`Order ${placed.number}`);
    expect(fragment).toContain(correlation);
    expect(fragment).toContain('order.order-paid');
  });

  it('says when no order matches, and refuses a reader without an admin token or a search', async () => {
    const { page } = await openPage();
    await page.type('#search-input', 'ORD-1999-000000');
    await page.click('#search button[type=submit]');
    await waitForText(page, ['No order matches', 'ORD-1999-000000']);
    await page.close();

    const anonymous = await checkedFetch(`${shop.platform.url}/journey/order?q=${placed.number}`);
    expect(anonymous.status).toBe(401);
    const customer = await signToken({ id: randomUUID(), role: 'customer' });
    expect((await checkedFetch(`${shop.platform.url}/journey/flow`, { headers: { authorization: `Bearer ${customer}` } })).status).toBe(403);
    const empty = await checkedFetch(`${shop.platform.url}/journey/order?q=`, { headers: { authorization: `Bearer ${shop.admin}` } });
    expect(empty.status).toBe(422);
    expect(await empty.json()).toMatchObject({ errors: [{ pointer: '/q' }] });
    const window = await checkedFetch(`${shop.platform.url}/journey/flow?seconds=5`, { headers: { authorization: `Bearer ${shop.admin}` } });
    expect(window.status).toBe(422);
    expect(await window.json()).toMatchObject({ errors: [{ pointer: '/seconds' }] });
  });

  it('shows the events flowing now: by type, to which Triggers, retries and dead letters, and the metrics received', async () => {
    await pushMetric();
    const { page, outside } = await openPage();
    await page.click('#show-flow');
    const shown = await waitForText(page, ['Events in the last 300 s', 'Deliveries by Trigger', 'gotuto.orders.placed']);
    expect(shown).toMatch(/order\.order-placed\s+\d+\s+[\d.]+\/min/);
    expect(shown).toMatch(/order\.order-placed\s+platform-journey-auditor-trigger\s+platform-journey-auditor\s+0\s+0\s+\d+\s+\d+\s+\d+\s+503/);
    expect(shown).toMatch(/gotuto\.orders\.placed\s+order-checkout\s+1/);
    expect(outside).toEqual([]);
    await page.close();
  }, 60_000);
});
