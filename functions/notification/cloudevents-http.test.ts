// CloudEvents to the spec at a function's own URL: what Python's and Go's SDKs send is read as
// they mean it, and what the spec forbids is a 400 with a pointer, never a 500 nor a made-up value.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { customerRegistered } from '../../events/customer.js';
import { deliveryTokenFor, useTestDatabase } from '../runtime/testing.js';
import { startNotification } from './test-support.js';

const db = useTestDatabase(['notification']);
const HANDLER = 'notification/handlers/on-customer-registered';
const api = startNotification([HANDLER]);

const contact = () => {
  const customerId = randomUUID();
  return { customerId, email: `ce-${customerId.slice(0, 8)}@example.test`, name: 'Cloud Events', role: 'customer' };
};
const structured = async (event: Record<string, unknown>, contentType = 'application/cloudevents+json') =>
  api.requestAt(HANDLER, 'POST', { rawBody: JSON.stringify(event), contentType, token: await deliveryTokenFor('notification-on-customer-registered') });
const envelope = (data: unknown, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: randomUUID(),
  source: '/gotuto/customer',
  type: customerRegistered.type,
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  data,
  ...extra,
});
const contactsNamed = (id: string) => db.query('SELECT email FROM notification.contacts WHERE id = $1', [id]);

describe("a handler's own URL", () => {
  it('reads data_base64 as the JSON it encodes, as the SDKs send binary data', async () => {
    const data = contact();
    const response = await structured(envelope(undefined, { data: undefined, data_base64: Buffer.from(JSON.stringify(data)).toString('base64') }));

    expect(response.status, response.text).toBe(204);
    expect(await contactsNamed(data.customerId)).toEqual([{ email: data.email }]);
  });

  it.each([
    ['without id', { id: undefined }, '/id'],
    ['with an invalid time', { time: 'not a time' }, '/time'],
    ['with an oversized id', { id: 'x'.repeat(300) }, '/id'],
    ['with an oversized type', { type: `com.gotuto.${'x'.repeat(300)}` }, '/type'],
  ])('refuses an event %s with 400 at its attribute, and keeps nothing', async (_what, extra, pointer) => {
    const data = contact();
    const response = await structured(envelope(data, extra));

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ pointer })]);
    expect(await contactsNamed(data.customerId)).toEqual([]);
  });

  it('refuses a batch with 400: a delivery carries one event, and none of the batch is applied', async () => {
    const events = [contact(), contact(), contact()];
    const response = await structured(events.map((data) => envelope(data)) as never, 'application/cloudevents-batch+json');

    expect(response.status).toBe(400);
    for (const data of events) expect(await contactsNamed(data.customerId)).toEqual([]);
  });

  it('answers 400, not 500, to data nested 20,000 arrays deep', async () => {
    const body = JSON.stringify(envelope(null)).replace('"data":null', `"data":${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    const response = await api.requestAt(HANDLER, 'POST', {
      rawBody: body,
      contentType: 'application/cloudevents+json',
      token: await deliveryTokenFor('notification-on-customer-registered'),
    });

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ pointer: '/data' })]);
  });
});
