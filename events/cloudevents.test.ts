import { describe, expect, it } from 'vitest';
import { eventFromHttp, eventsFromHttp, InvalidCloudEvent, type CloudEventLimits } from './cloudevents.js';

const LIMITS: CloudEventLimits = { maxIdLength: 64, maxSourceLength: 128, maxTypeLength: 96, maxDepth: 16, maxBatch: 5 };
const TYPE = 'com.gotuto.billing.invoice-status-changed.v1';
const STRUCTURED = { 'content-type': 'application/cloudevents+json' };
const BATCH = { 'content-type': 'application/cloudevents-batch+json' };

const event = (n: number, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: `e-${n}`,
  source: '/test',
  type: TYPE,
  time: '2026-12-04T10:00:00.123Z',
  datacontenttype: 'application/json',
  data: { n },
  ...extra,
});

const refusal = (run: () => unknown): { message: string; pointer: string } => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCloudEvent);
    return { message: (error as InvalidCloudEvent).message, pointer: (error as InvalidCloudEvent).pointer };
  }
  throw new Error('the request was accepted');
};

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('eventsFromHttp', () => {
  it('reads a binary event from its ce- headers, percent-decoded, with JSON data', () => {
    const [read] = eventsFromHttp(
      {
        'ce-specversion': '1.0',
        'ce-id': 'b-1',
        'ce-source': '/test',
        'ce-type': TYPE,
        'ce-subject': 'a%20b',
        'ce-correlationid': 'c-1',
        'content-type': 'application/json',
      },
      '{"ok":true}',
      LIMITS,
    );
    expect(read).toMatchObject({ id: 'b-1', source: '/test', type: TYPE, subject: 'a b', correlationid: 'c-1', data: { ok: true } });
  });

  it('returns every event of a batch, in order', () => {
    const events = eventsFromHttp(BATCH, JSON.stringify([event(1), event(2), event(3)]), LIMITS);
    expect(events.map((e) => e.id)).toEqual(['e-1', 'e-2', 'e-3']);
    expect(events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('refuses a whole batch when one event is invalid, pointing at it', () => {
    const { pointer } = refusal(() => eventsFromHttp(BATCH, JSON.stringify([event(1), event(2, { id: undefined }), event(3)]), LIMITS));
    expect(pointer).toBe('/1/id');
  });

  it('refuses a batch larger than the limit, and a batch that is not an array', () => {
    const six = [1, 2, 3, 4, 5, 6].map((n) => event(n));
    expect(refusal(() => eventsFromHttp(BATCH, JSON.stringify(six), LIMITS)).message).toMatch(/at most 5/);
    expect(refusal(() => eventsFromHttp(BATCH, JSON.stringify(event(1)), LIMITS)).pointer).toBe('/');
  });

  it('decodes data_base64 to the JSON it holds, or to the bytes of other content', () => {
    const json = Buffer.from('{"to":"paid"}').toString('base64');
    const [asJson] = eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { data: undefined, data_base64: json })), LIMITS);
    expect(asJson?.data).toEqual({ to: 'paid' });
    const bytes = Buffer.from([0, 1, 2, 255]).toString('base64');
    const [asBytes] = eventsFromHttp(
      STRUCTURED,
      JSON.stringify(event(1, { data: undefined, data_base64: bytes, datacontenttype: 'application/octet-stream' })),
      LIMITS,
    );
    expect(Buffer.isBuffer(asBytes?.data)).toBe(true);
    expect([...(asBytes?.data as Buffer)]).toEqual([0, 1, 2, 255]);
  });

  it('refuses data and data_base64 together, and data_base64 that is not base64', () => {
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { data_base64: 'AAAA' })), LIMITS)).pointer).toBe('/data_base64');
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { data: undefined, data_base64: '!!' })), LIMITS)).pointer).toBe('/data_base64');
  });

  it('refuses an event without id instead of inventing one, in every mode', () => {
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { id: undefined })), LIMITS)).pointer).toBe('/id');
    expect(refusal(() => eventsFromHttp({ 'ce-specversion': '1.0', 'ce-source': '/t', 'ce-type': TYPE }, '{}', LIMITS)).pointer).toBe('/headers/ce-id');
  });

  it.each(['yesterday', '2026-02-30T10:00:00Z', '2026-12-04 10:00:00Z', '2026-12-04T25:00:00Z', '2026-13-01T00:00:00Z'])(
    'refuses the invalid time %s instead of replacing it',
    (time) => {
      expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { time })), LIMITS)).pointer).toBe('/time');
    },
  );

  it('keeps a valid time as sent, offsets included', () => {
    const [read] = eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { time: '2024-02-29T23:59:60+02:00' })), LIMITS);
    expect(read?.time).toBe('2024-02-29T23:59:60+02:00');
  });

  it('refuses oversized id, source and type', () => {
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { id: 'x'.repeat(65) })), LIMITS)).pointer).toBe('/id');
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { source: 'x'.repeat(129) })), LIMITS)).pointer).toBe('/source');
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { type: 'x'.repeat(97) })), LIMITS)).pointer).toBe('/type');
  });

  it('refuses data nested deeper than the limit, 20,000 arrays included, in every mode', () => {
    const deep = nested(20_000);
    const structured = `{"specversion":"1.0","id":"d","source":"/t","type":"${TYPE}","data":${deep}}`;
    expect(refusal(() => eventsFromHttp(STRUCTURED, structured, LIMITS)).pointer).toBe('/data');
    expect(refusal(() => eventsFromHttp(BATCH, `[${JSON.stringify(event(1))},${JSON.stringify(event(2))},${structured}]`, LIMITS)).pointer).toBe('/2/data');
    const binary = { 'ce-specversion': '1.0', 'ce-id': 'd', 'ce-source': '/t', 'ce-type': TYPE, 'content-type': 'application/json' };
    expect(refusal(() => eventsFromHttp(binary, deep, LIMITS)).pointer).toBe('/data');
    // A depth within the limit is data like any other (strings with brackets do not count).
    const [within] = eventsFromHttp(binary, `{"a":"[[[[[[[[[[[[[[[[[[[[[[[[","b":${nested(15)}}`, LIMITS);
    expect((within?.data as { a: string }).a).toHaveLength(24);
  });

  it('refuses a wrong specversion, extension names outside the spec and object extension values', () => {
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { specversion: '0.3' })), LIMITS)).pointer).toBe('/specversion');
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { Bad_Name: 'x' })), LIMITS)).pointer).toBe('/Bad_Name');
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { traceinfo: { a: 1 } })), LIMITS)).pointer).toBe('/traceinfo');
    expect(refusal(() => eventsFromHttp(STRUCTURED, JSON.stringify(event(1, { ['x'.repeat(65)]: '1' })), LIMITS)).pointer).toBe(`/${'x'.repeat(65)}`);
  });

  it("takes the extensions Knative's Kafka dispatcher adds to a delivery, longer than 20 characters", () => {
    const knative = { 'ce-knativekafkapartition': '2', 'ce-knativekafkaoffset': '0' };
    const headers = { 'ce-specversion': '1.0', 'ce-id': 'k', 'ce-source': '/t', 'ce-type': TYPE, 'content-type': 'application/json', ...knative };
    const [received] = eventsFromHttp(headers, '{}', LIMITS);
    expect(received?.extensions).toMatchObject({ knativekafkapartition: '2', knativekafkaoffset: '0' });
  });

  it('refuses a request that is no CloudEvent at all, and a body that is not JSON', () => {
    expect(refusal(() => eventsFromHttp({ 'content-type': 'application/json' }, '{}', LIMITS)).pointer).toBe('/headers/ce-specversion');
    expect(refusal(() => eventsFromHttp(STRUCTURED, '{"id":', LIMITS)).pointer).toBe('/');
  });
});

describe('eventFromHttp', () => {
  it('refuses a batch at a delivery endpoint, which takes one event', () => {
    expect(refusal(() => eventFromHttp(BATCH, JSON.stringify([event(1)]), LIMITS)).message).toMatch(/one event/);
  });
});
