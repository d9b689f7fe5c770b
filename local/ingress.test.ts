// The broker ingress keeps or refuses, never drops: a batch (application/cloudevents-batch+json, as
// the Python and Go SDKs send it) is stored whole or refused whole; an event without an id, with an
// invalid time or nested too deep is a 400 with a pointer; data_base64 arrives as the bytes it holds.
// Over the embedded broker, and over Kafka when KAFKA_BROKERS is set.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../functions/runtime/auth.js';
import type { Platform } from './platform.js';
import { checkedFetch, createTestEnvironment, httpClient, publisherHeaders, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'ingress-test-secret-ingress-test-secret';

const TYPE = 'com.gotuto.ingresstest.noted.v1';
const eventOf = (extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: randomUUID(),
  source: '/ingress-test',
  type: TYPE,
  subject: randomUUID(),
  datacontenttype: 'application/json',
  data: { note: 'hello' },
  ...extra,
});

describe.each(process.env.KAFKA_BROKERS ? ['embedded', 'kafka'] : ['embedded'])('POST /broker over the %s broker', (kind) => {
  let env: TestEnvironment;
  let platform: Platform;
  let saved: string | undefined;

  beforeAll(async () => {
    saved = process.env.KAFKA_BROKERS;
    if (kind === 'embedded') delete process.env.KAFKA_BROKERS;
    env = await createTestEnvironment();
    platform = await env.start({ deliver: false });
  });
  afterAll(async () => {
    await env?.dispose();
    if (saved !== undefined) process.env.KAFKA_BROKERS = saved;
  });

  const post = (body: unknown, contentType: string) =>
    checkedFetch(`${platform.url}/broker`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...publisherHeaders() },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const stored = async (subject: string) => {
    await platform.broker.flush();
    const token = await signToken({ id: randomUUID(), role: 'admin' });
    const answer = await httpClient(() => platform.url)('GET', `/broker/events?subject=${subject}`, token);
    expect(answer.status).toBe(200);
    return (answer.body as { items: { event: { id: string; data: unknown } }[] }).items.map((i) => i.event);
  };

  it('keeps every event of a batch', async () => {
    const subject = randomUUID();
    const batch = [eventOf({ subject }), eventOf({ subject }), eventOf({ subject })];
    const answer = await post(batch, 'application/cloudevents-batch+json');
    expect(answer.status).toBe(202);
    expect((await stored(subject)).map((e) => e.id).sort()).toEqual(batch.map((e) => e.id).sort());
  });

  it('refuses a batch whole when one of its events is invalid, pointing at it', async () => {
    const subject = randomUUID();
    const batch = [eventOf({ subject }), eventOf({ subject, id: undefined }), eventOf({ subject })];
    const answer = await post(batch, 'application/cloudevents-batch+json');
    expect(answer.status).toBe(400);
    const problem = (await answer.json()) as { errors: { pointer: string }[] };
    expect(problem.errors[0]?.pointer).toBe('/1/id');
    expect(await stored(subject)).toEqual([]);
  });

  it('refuses an event without an id, or with an invalid time, instead of making them up', async () => {
    const subject = randomUUID();
    expect((await post(eventOf({ subject, id: undefined }), 'application/cloudevents+json')).status).toBe(400);
    const badTime = await post(eventOf({ subject, time: 'yesterday' }), 'application/cloudevents+json');
    expect(badTime.status).toBe(400);
    expect(((await badTime.json()) as { errors: { pointer: string }[] }).errors[0]?.pointer).toBe('/time');
    expect(await stored(subject)).toEqual([]);
  });

  it('answers 400, not 500, to data nested 20,000 arrays deep', async () => {
    const subject = randomUUID();
    const deep = JSON.stringify(eventOf({ subject, data: 'X' })).replace('"X"', '['.repeat(20_000) + ']'.repeat(20_000));
    expect((await post(deep, 'application/cloudevents+json')).status).toBe(400);
    expect(await stored(subject)).toEqual([]);
  });

  it('decodes data_base64 to the data it holds', async () => {
    const subject = randomUUID();
    const { data: _data, ...rest } = eventOf({ subject });
    const answer = await post({ ...rest, data_base64: Buffer.from(JSON.stringify({ note: 'from bytes' })).toString('base64') }, 'application/cloudevents+json');
    expect(answer.status).toBe(202);
    expect((await stored(subject)).map((e) => e.data)).toEqual([{ note: 'from bytes' }]);
  });
});
