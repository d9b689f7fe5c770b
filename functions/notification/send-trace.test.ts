// Where an email's SMTP send shows in the traces: in the trace of the event that asked for it,
// under the handler that recorded it, whichever sender run claims it later (here the schedule's,
// in a trace of its own, which the send span links to). Exported over OTLP/HTTP to a real endpoint.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderConfirmed } from '../../events/order.js';
import { PING_EVENT_TYPE } from '../runtime/definition.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../runtime/otlp-testing.js';
import { flushTelemetry, startTelemetry, stopTelemetry } from '../runtime/telemetry.js';
import { useTestDatabase } from '../runtime/testing.js';
import {
  givenCustomer,
  notificationOf,
  ON_CUSTOMER_REGISTERED,
  ON_ORDER_CONFIRMED,
  orderConfirmation,
  SEND_PENDING,
  settled,
  startNotification,
  useSmtpServer,
} from './test-support.js';

const db = useTestDatabase(['notification']);
useSmtpServer();
const api = startNotification([ON_CUSTOMER_REGISTERED, ON_ORDER_CONFIRMED, SEND_PENDING]);
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  // Only the schedule sends, so the run that claims each email is never the one that recorded it.
  process.env.NOTIFICATION_SEND_AFTER_COMMIT = 'false';
  expect(await startTelemetry('notification')).toBe(true);
});

afterAll(async () => {
  await stopTelemetry();
  await receiver.stop();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_EXPORTER_OTLP_PROTOCOL;
  delete process.env.NOTIFICATION_SEND_AFTER_COMMIT;
});

const traceparent = (traceId: string) => `00-${traceId}-${randomBytes(8).toString('hex')}-01`;

/** Records an order's confirmation email, delivered in the trace `orderTrace`; the event's id. */
const recordConfirmation = async (orderTrace: string): Promise<string> => {
  const customer = await givenCustomer(api);
  const data = orderConfirmation(customer.customerId);
  const id = randomUUID();
  const recorded = await api.deliver(ON_ORDER_CONFIRMED, { id, type: orderConfirmed.type, subject: data.orderId, data, traceparent: traceparent(orderTrace) });
  expect(recorded.status, recorded.text).toBe(204);
  expect((await notificationOf(db, id)).status).toBe('pending');
  return id;
};

/** A tick of the schedule in the trace `tickTrace`, which sends what is pending. */
const tick = async (tickTrace: string) => {
  const ticked = await api.deliver(SEND_PENDING, {
    type: PING_EVENT_TYPE,
    source: '/apis/v1/namespaces/gotuto/pingsources/test',
    data: {},
    traceparent: traceparent(tickTrace),
  });
  expect(ticked.status, ticked.text).toBe(204);
  await settled();
  await flushTelemetry();
};

const smtpSpanOf = (notificationId: string): ReceivedSpan => {
  const found = receiver.spans().filter((s) => s.name === 'smtp send' && s.attributes['gotuto.notification_id'] === notificationId);
  expect(found).toHaveLength(1);
  return found[0] as ReceivedSpan;
};

/** The invocation (SERVER span) under which `span` runs, following its parents. */
const invocationOf = (span: ReceivedSpan): ReceivedSpan | undefined => {
  const byId = new Map(receiver.spans().map((s) => [s.spanId, s]));
  let current: ReceivedSpan | undefined = span;
  while (current && current.kind !== 'server') current = byId.get(current.parentSpanId);
  return current;
};

describe("an email's send in the traces", () => {
  it('is a span of the trace that recorded the email, under its handler, linked to the schedule run that sent it', async () => {
    const [orderTrace, tickTrace] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    const eventId = await recordConfirmation(orderTrace);
    await tick(tickTrace);

    const notification = await notificationOf(db, eventId);
    expect(notification.status).toBe('sent');
    const send = smtpSpanOf(notification.id);
    expect(send).toMatchObject({ traceId: orderTrace, kind: 'client', status: 'unset' });
    expect(invocationOf(send)?.attributes['faas.name']).toBe('notification-on-order-confirmed');
    const run = receiver.spans().find((s) => s.traceId === tickTrace && s.attributes['faas.name'] === 'notification-send-pending');
    expect(run).toBeDefined();
    expect(send.links.map((l) => l.traceId)).toEqual([tickTrace]);
    expect(invocationOf(receiver.spans().find((s) => s.spanId === send.links[0]?.spanId) as ReceivedSpan)?.spanId).toBe(run?.spanId);
  });

  it('is a span of the run that sent it when the email kept no trace context (recorded before it was kept)', async () => {
    const [orderTrace, tickTrace] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')];
    const eventId = await recordConfirmation(orderTrace);
    await db.query('UPDATE notification.notifications SET traceparent = NULL, tracestate = NULL WHERE event_id = $1', [eventId]);
    await tick(tickTrace);

    const send = smtpSpanOf((await notificationOf(db, eventId)).id);
    expect(send).toMatchObject({ traceId: tickTrace, links: [] });
    expect(invocationOf(send)?.attributes['faas.name']).toBe('notification-send-pending');
  });
});
