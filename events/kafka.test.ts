// CloudEvents over Kafka in binary mode, without a broker: what a record carries and how it reads back.
import { describe, expect, it } from 'vitest';
import { fromKafkaRecord, recordAttributes, recordHeader, recordHttpHeaders, toBinaryHttp, toKafkaRecord, type ReceivedEvent } from './index.js';

const event: ReceivedEvent<unknown> = {
  id: '5f0c4e8e-6a57-4c4e-9d55-0d7e9f1d2a10',
  type: 'com.gotuto.billing.client-created.v1',
  source: '/gotuto/billing',
  subject: 'client-1',
  time: '2026-11-27T10:00:00.000Z',
  dataschema: 'https://gotuto.dev/schemas/events/billing/client-created.v1.json',
  correlationid: 'corr-1',
  causationid: 'cause-1',
  partitionkey: 'client-1',
  data: { name: "O'Brien; DROP TABLE clients; --", city: 'Zürich 東京' },
  extensions: { knativeerrorcode: '503' },
};

const asBuffers = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));

describe('CloudEvents records in binary mode', () => {
  it('puts every attribute in a ce_ header, the data in the value and the partition key in the key', () => {
    const record = toKafkaRecord(event, { 'gotuto-trigger': 'one' });
    expect(record.key).toBe('client-1');
    expect(JSON.parse(record.value)).toEqual(event.data);
    expect(record.headers).toMatchObject({
      ce_id: event.id,
      ce_specversion: '1.0',
      ce_type: event.type,
      ce_source: event.source,
      ce_subject: 'client-1',
      ce_time: event.time,
      ce_dataschema: event.dataschema,
      ce_correlationid: 'corr-1',
      ce_causationid: 'cause-1',
      ce_partitionkey: 'client-1',
      ce_knativeerrorcode: '503',
      'content-type': 'application/json',
      'gotuto-trigger': 'one',
    });
  });

  it('reads the same event back, byte for byte in its data, from Buffer headers', () => {
    const record = toKafkaRecord(event);
    const back = fromKafkaRecord(asBuffers(record.headers), Buffer.from(record.value), Buffer.from(record.key as string));
    expect(back).toEqual(event);
  });

  it('reads attributes and HTTP headers from the headers alone, for filters and delivery', () => {
    const record = toKafkaRecord(event, { 'gotuto-accept-id': 'a-1' });
    const headers = asBuffers(record.headers);
    const attributes = recordAttributes(headers, Buffer.from('client-1'));
    expect(attributes).toMatchObject({
      id: event.id,
      type: event.type,
      source: event.source,
      subject: 'client-1',
      correlationid: 'corr-1',
      partitionkey: 'client-1',
    });
    expect(attributes.extensions).toEqual({ knativeerrorcode: '503' });
    const http = recordHttpHeaders(headers);
    expect(http['ce-id']).toBe(event.id);
    expect(http['content-type']).toBe('application/json');
    expect(Object.keys(http).every((name) => name.startsWith('ce-') || name === 'content-type')).toBe(true);
    expect(recordHeader(headers, 'gotuto-accept-id')).toBe('a-1');
  });

  it("writes the record the CloudEvents SDK's binary-mode serializer makes, whatever the event holds", () => {
    const sdk = (e: ReceivedEvent<unknown>, extra: Record<string, string>) => {
      const { headers, body } = toBinaryHttp(e);
      const recordHeaders = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.replace(/^ce-/, 'ce_'), value]));
      return { key: e.partitionkey ?? (e.subject || null), value: body, headers: { ...recordHeaders, ...extra } };
    };
    const { extensions: _extensions, correlationid: _c, causationid: _k, partitionkey: _p, dataschema: _d, ...bare } = event;
    const variants: ReceivedEvent<unknown>[] = [
      event,
      bare,
      { ...bare, subject: '' },
      { ...bare, time: '2026-11-27T10:00:00Z' },
      { ...bare, data: 'plain text' },
      { ...bare, data: 42 },
      { ...bare, data: false },
      { ...bare, data: null },
      { ...bare, data: [1, 'two', { three: 3 }] },
      { ...bare, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', extensions: { tracestate: 'a=b' } },
      // The SDK's own cases: no time (it stamps one), no data, bytes, an extension named as an attribute.
      { ...bare, data: undefined },
      { ...bare, data: Buffer.from('bytes') },
      { ...bare, extensions: { data: 'x' } },
    ];
    for (const variant of variants) expect(toKafkaRecord(variant, { 'gotuto-accept-id': 'a-1' })).toEqual(sdk(variant, { 'gotuto-accept-id': 'a-1' }));
  });

  it('refuses a record that is not a CloudEvent, saying what is missing', () => {
    expect(() => fromKafkaRecord({ ce_specversion: '1.0', ce_type: 't', ce_source: '/s' }, '{}', null)).toThrow(/attribute id is missing/);
    expect(() => fromKafkaRecord({ ce_id: 'x', ce_specversion: '0.3', ce_type: 't', ce_source: '/s' }, '{}', null)).toThrow(/specversion/);
  });
});
