// The local broker over real Kafka: what lands in the topic, one consumer group per Trigger, offsets
// committed only behind deliveries that ended, ordered and unordered delivery, a stop in the middle
// of a delivery, dead letters and their replay, and outboxes that publish straight to Kafka.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBinaryHttp, toKafkaRecord, type ReceivedEvent } from '../events/index.js';
import { localOnlyFunctions, registry } from '../functions/index.js';
import { signToken } from '../functions/runtime/auth.js';
import { consumerGroupOf } from './kafka-log.js';
import type { Platform } from './platform.js';
import type { TriggerSpec } from './routing.js';
import { checkedFetch, createTestEnvironment, httpClient, publisherHeaders, waitFor, type TestEnvironment } from './testing.js';

const BROKERS = process.env.KAFKA_BROKERS;
process.env.JWT_SECRET ??= 'kafka-broker-test-secret-kafka-broker-test';

// A subscriber outside the platform: it records every delivery and holds the ones a test asks for.
interface Seen {
  id: string;
  n: number;
  at: number;
}
let subscriber: Server;
let subscriberUrl = '';
const seen: Seen[] = [];
const held = new Map<string, ServerResponse>();
const holdIds = new Set<string>();
const refuseIds = new Set<string>();

const release = (id: string) => {
  holdIds.delete(id);
  held.get(id)?.writeHead(204).end();
  held.delete(id);
};

const onDelivery = (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const id = String(req.headers['ce-id']);
    const data = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { n?: number };
    seen.push({ id, n: data.n ?? -1, at: Date.now() });
    if (refuseIds.has(id) && req.url === '/refusing') return void res.writeHead(422, { 'content-type': 'text/plain' }).end('never applies');
    if (holdIds.has(id)) return void held.set(id, res);
    res.writeHead(204).end();
  });
};

const fast = { retry: 1, backoffPolicy: 'linear' as const, backoffDelayMs: 20, timeoutMs: 20_000, deadLetterSink: { service: 'platform-dead-letters' } };
const trigger = (name: string, source: string, ordered: boolean, path = name): TriggerSpec => ({
  name,
  filters: [{ exact: { source } }],
  subscriber: { uri: `${subscriberUrl}${path}` },
  delivery: fast,
  ordered,
});

const event = (source: string, key: string, n: number): ReceivedEvent<unknown> => ({
  id: randomUUID(),
  type: 'com.gotuto.probe.kafka.v1',
  source,
  subject: key,
  time: new Date().toISOString(),
  partitionkey: key,
  correlationid: `kafka-${n}`,
  data: { n },
  extensions: { probeflag: 'on' },
});

let env: TestEnvironment;
let platform: Platform;
let manifests: string;
let kafkaAdmin: Admin;
let admin = '';
const call = httpClient(() => platform.url);

const send = async (e: ReceivedEvent<unknown>) => {
  const { headers, body } = toBinaryHttp(e);
  const res = await checkedFetch(`${platform.url}/broker`, { method: 'POST', headers: { ...headers, ...publisherHeaders() }, body });
  expect(res.status).toBe(202);
};

/** The records with these CloudEvents ids, read back from the topic: partition, offset, key, value, headers. */
const readTopic = async (topic: string, ids: string[]) => {
  const kafka = new Kafka({ clientId: 'kafka-broker-test', brokers: (BROKERS ?? '').split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const found = new Map<string, { partition: number; offset: number; key: string; value: string; headers: Record<string, string> }>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      if (ids.includes(headers.ce_id ?? '')) {
        found.set(headers.ce_id as string, { partition, offset: Number(message.offset), key: String(message.key), value: String(message.value), headers });
      }
    },
  });
  await waitFor(
    async () => found.size,
    (n) => n === ids.length,
    30_000,
  );
  await consumer.disconnect();
  return found;
};

const committed = async (trigger: string, partition: number): Promise<number> => {
  const offsets = await kafkaAdmin.fetchOffsets({ groupId: consumerGroupOf(env.topic as string, trigger), topics: [env.topic as string] });
  return Number(offsets[0]?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The dead-letter sink, and the platform functions that list and replay what it keeps.
const deadLetters = [...registry, ...localOnlyFunctions].filter((fn) => fn.context === 'platform');

describe.skipIf(!BROKERS)('the local broker over Kafka (needs KAFKA_BROKERS)', () => {
  beforeAll(async () => {
    subscriber = createServer(onDelivery);
    await new Promise<void>((r) => subscriber.listen(0, '127.0.0.1', r));
    subscriberUrl = `http://127.0.0.1:${(subscriber.address() as AddressInfo).port}/`;
    // The Broker and its config as a cluster has them, with 4 partitions.
    manifests = mkdtempSync(join(tmpdir(), 'gotuto-kafka-manifests-'));
    writeFileSync(
      join(manifests, 'broker.yaml'),
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: kafka-broker-config',
        'data:',
        '  bootstrap.servers: set-in-overlay:9092',
        '  default.topic.partitions: "4"',
        '  default.topic.replication.factor: "1"',
        '---',
        'apiVersion: eventing.knative.dev/v1',
        'kind: Broker',
        'metadata:',
        '  name: gotuto',
        '  annotations:',
        '    eventing.knative.dev/broker.class: Kafka',
        'spec:',
        '  config:',
        '    apiVersion: v1',
        '    kind: ConfigMap',
        '    name: kafka-broker-config',
        '',
      ].join('\n'),
    );
    env = await createTestEnvironment();
    kafkaAdmin = new Kafka({ clientId: 'kafka-broker-test', brokers: (BROKERS ?? '').split(','), logLevel: logLevel.NOTHING }).admin();
    await kafkaAdmin.connect();
    platform = await env.start({
      manifestsDir: manifests,
      functions: deadLetters,
      extraTriggers: [
        trigger('unordered', '/test/unordered', false),
        trigger('ordered', '/test/ordered', true),
        trigger('refusing', '/test/refusing', false),
        trigger('bystander', '/test/refusing', false, 'bystander'),
      ],
    });
    admin = await signToken({ id: randomUUID(), role: 'admin' });
  }, 120_000);

  afterAll(async () => {
    for (const id of [...held.keys()]) release(id);
    await kafkaAdmin?.disconnect();
    await env?.dispose();
    await new Promise<void>((r) => subscriber?.close(() => r()));
    rmSync(manifests, { recursive: true, force: true });
  });

  it('stores accepted events in its topic as binary CloudEvents keyed by partitionkey, on the partitions of the broker config', async () => {
    expect(platform.brokerKind).toBe('kafka');
    const meta = await kafkaAdmin.fetchTopicMetadata({ topics: [env.topic as string] });
    expect(meta.topics[0]?.partitions).toHaveLength(4);
    const e = event('/test/nobody', 'aggregate-1', 1);
    await send(e);
    const record = (await readTopic(env.topic as string, [e.id])).get(e.id);
    expect(record?.key).toBe('aggregate-1');
    expect(JSON.parse(record?.value ?? '')).toEqual({ n: 1 });
    expect(record?.headers).toMatchObject({
      ce_id: e.id,
      ce_specversion: '1.0',
      ce_type: e.type,
      ce_source: '/test/nobody',
      ce_subject: 'aggregate-1',
      ce_partitionkey: 'aggregate-1',
      ce_correlationid: 'kafka-1',
      ce_probeflag: 'on',
      'content-type': 'application/json',
    });
    // Every Trigger reads through a consumer group of its own.
    const groups = (await kafkaAdmin.listGroups()).groups.map((g) => g.groupId);
    for (const name of ['unordered', 'ordered', 'refusing', 'bystander']) expect(groups).toContain(consumerGroupOf(env.topic as string, name));
  });

  it('delivers an unordered Trigger in parallel and commits only up to the lowest delivery not yet ended', async () => {
    const [a, b, c] = [1, 2, 3].map((n) => event('/test/unordered', 'same-key', n)) as [ReceivedEvent<unknown>, ReceivedEvent<unknown>, ReceivedEvent<unknown>];
    holdIds.add(a.id);
    for (const e of [a, b, c]) await send(e);
    // b and c are delivered while a is still held.
    await waitFor(
      async () => seen.filter((s) => [b.id, c.id].includes(s.id)).length,
      (n) => n === 2,
      15_000,
    );
    expect(held.has(a.id)).toBe(true);
    const records = await readTopic(env.topic as string, [a.id, b.id, c.id]);
    const at = records.get(a.id) as { partition: number; offset: number };
    expect(records.get(c.id)?.partition).toBe(at.partition);
    await sleep(300);
    expect(await committed('unordered', at.partition)).toBeLessThanOrEqual(at.offset);
    release(a.id);
    const after = await waitFor(
      () => committed('unordered', at.partition),
      (o) => o >= at.offset + 3,
      15_000,
    );
    expect(after).toBe(at.offset + 3);
    expect(seen.filter((s) => [a.id, b.id, c.id].includes(s.id))).toHaveLength(3);
  });

  it('delivers an ordered Trigger one event at a time per partition, in order', async () => {
    const [x, y, z] = [1, 2, 3].map((n) => event('/test/ordered', 'ordered-key', n)) as [
      ReceivedEvent<unknown>,
      ReceivedEvent<unknown>,
      ReceivedEvent<unknown>,
    ];
    holdIds.add(x.id);
    for (const e of [x, y, z]) await send(e);
    await waitFor(
      async () => held.has(x.id),
      (h) => h,
      15_000,
    );
    await sleep(500);
    expect(seen.some((s) => s.id === y.id || s.id === z.id)).toBe(false);
    release(x.id);
    await waitFor(
      async () => seen.filter((s) => s.id === z.id).length,
      (n) => n === 1,
      15_000,
    );
    expect(seen.filter((s) => [x.id, y.id, z.id].includes(s.id)).map((s) => s.n)).toEqual([1, 2, 3]);
  });

  it('dead-letters what a subscriber refuses into the dead-letter store, and a replay goes straight to the subscriber it failed at', async () => {
    const e = event('/test/refusing', 'refused-key', 7);
    refuseIds.add(e.id);
    await send(e);
    const letters = await waitFor(
      () => call('GET', `/broker/dead-letters?type=${encodeURIComponent(e.type)}`, admin),
      (r) => r.body.items.some((l: { eventId: string }) => l.eventId === e.id),
      15_000,
    );
    const letter = letters.body.items.find((l: { eventId: string }) => l.eventId === e.id);
    expect(letter).toMatchObject({ state: 'dead', status: 422, destination: `${subscriberUrl}refusing` });
    // The bystander Trigger got it once; the refusing one once too: a 422 is not retried.
    expect(seen.filter((s) => s.id === e.id)).toHaveLength(2);
    refuseIds.delete(e.id);
    const replay = await call('POST', `/broker/dead-letters/${letter.id}/replay`, admin);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ outcome: 'delivered', deadLetter: { state: 'replayed' } });
    expect(seen.filter((s) => s.id === e.id)).toHaveLength(3);
    await platform.broker.idle();
    const log = await call('GET', `/broker/events?correlationid=kafka-7`, admin);
    const states = log.body.items
      .flatMap((i: { deliveries: { trigger: string; state: string }[] }) => i.deliveries.map((d) => `${d.trigger}:${d.state}`))
      .sort();
    // Not through the broker: its trace keeps the delivery that died, and no other.
    expect(states).toEqual(['bystander:delivered', 'refusing:dead']);
  });

  it('traces an event it did not accept itself (written by another run, or by a crash before its trace) as its delivery starts', async () => {
    const e = event('/test/unordered', 'elsewhere-key', 30);
    const producer = new Kafka({ clientId: 'kafka-broker-test', brokers: (BROKERS ?? '').split(','), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic: env.topic as string, messages: [toKafkaRecord(e, { 'gotuto-accept-id': randomUUID() })] });
    holdIds.add(e.id);
    await producer.disconnect();
    await waitFor(
      async () => seen.some((s) => s.id === e.id),
      (ok) => ok,
      15_000,
    );
    // Traced as its delivery starts: shown while the subscriber still holds it (the trace is
    // written in batches behind the delivery, so it may show a moment after the subscriber has it).
    const during = await waitFor(
      () => call('GET', `/broker/events?correlationid=kafka-30`, admin),
      (r) => r.body.items.length > 0,
      15_000,
    );
    expect(during.body.items).toHaveLength(1);
    expect(during.body.items[0].event.id).toBe(e.id);
    expect(during.body.items[0].deliveries.map((d: { trigger: string; state: string }) => `${d.trigger}:${d.state}`)).toEqual(['unordered:pending']);
    release(e.id);
    await platform.broker.idle();
    const log = await call('GET', `/broker/events?correlationid=kafka-30`, admin);
    expect(log.body.items).toHaveLength(1);
    expect(log.body.items[0]).toMatchObject({ event: { id: e.id, source: '/test/unordered', data: { n: 30 } } });
    expect(log.body.items[0].deliveries.map((d: { trigger: string; state: string }) => `${d.trigger}:${d.state}`)).toEqual(['unordered:delivered']);
  });

  it('delivers again after a restart what a stop cut short, and not what had ended', async () => {
    const done = event('/test/unordered', 'restart-key', 20);
    const cut = event('/test/unordered', 'restart-key', 21);
    await send(done);
    await waitFor(
      async () => seen.some((s) => s.id === done.id),
      (ok) => ok,
      15_000,
    );
    holdIds.add(cut.id);
    await send(cut);
    await waitFor(
      async () => held.has(cut.id),
      (h) => h,
      15_000,
    );
    await platform.stop();
    held.get(cut.id)?.destroy();
    held.delete(cut.id);
    holdIds.delete(cut.id);
    platform = await env.start({
      manifestsDir: manifests,
      functions: deadLetters,
      extraTriggers: [
        trigger('unordered', '/test/unordered', false),
        trigger('ordered', '/test/ordered', true),
        trigger('refusing', '/test/refusing', false),
        trigger('bystander', '/test/refusing', false, 'bystander'),
      ],
    });
    await waitFor(
      async () => seen.filter((s) => s.id === cut.id).length,
      (n) => n === 2,
      30_000,
    );
    await platform.broker.idle();
    expect(seen.filter((s) => s.id === done.id)).toHaveLength(1);
    expect(seen.filter((s) => s.id === cut.id)).toHaveLength(2);
  });
});

describe.skipIf(!BROKERS)('outboxes that publish straight to Kafka (needs KAFKA_BROKERS)', () => {
  let outboxEnv: TestEnvironment;
  let outboxPlatform: Platform;
  const outboxTopic = `gotuto-outbox-{context}-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    process.env.OUTBOX_KAFKA_TOPIC = outboxTopic;
    outboxEnv = await createTestEnvironment();
    outboxPlatform = await outboxEnv.start();
  }, 120_000);

  afterAll(async () => {
    await outboxEnv?.dispose();
    delete process.env.OUTBOX_KAFKA_TOPIC;
    const kafka = new Kafka({ clientId: 'kafka-broker-test', brokers: (BROKERS ?? '').split(','), logLevel: logLevel.NOTHING }).admin();
    await kafka.connect();
    const topics = (await kafka.listTopics()).filter(
      (t) => t.startsWith(outboxTopic.split('{context}')[0] as string) && t.endsWith(outboxTopic.split('{context}')[1] as string),
    );
    await kafka.deleteTopics({ topics }).catch(() => undefined);
    await kafka.disconnect();
  });

  it("writes a context's events to its topic, and the KafkaSource stand-in feeds them to the broker's Triggers", async () => {
    const token = await signToken({ id: randomUUID(), role: 'admin' });
    const client = httpClient(() => outboxPlatform.url);
    const created = await client('POST', '/billing/clients', token, { name: 'Kafka Outbox Ltd', email: `outbox-${randomUUID()}@example.com` });
    expect(created.status).toBe(201);
    const billingTopic = outboxTopic.replace('{context}', 'billing');
    const log = await waitFor(
      () => client('GET', `/broker/events?subject=${created.body.id}`, token),
      (r) => r.body.items.length > 0,
      30_000,
    );
    const accepted = log.body.items[0].event as ReceivedEvent<unknown>;
    expect(accepted.type).toBe('com.gotuto.billing.client-created.v1');
    // The record is in the billing outbox topic, keyed by the client's id.
    const record = (await readTopic(billingTopic, [accepted.id])).get(accepted.id) as { key: string; headers: Record<string, string> };
    expect(record.key).toBe(created.body.id);
    expect(record.headers.ce_type).toBe('com.gotuto.billing.client-created.v1');
    // Notification's Trigger got it through the broker.
    await outboxPlatform.broker.idle();
    const after = await client('GET', `/broker/events?subject=${created.body.id}`, token);
    expect(after.body.items[0].deliveries.length).toBeGreaterThan(0);
    expect(after.body.items[0].deliveries.every((d: { state: string }) => d.state === 'delivered')).toBe(true);
  });
});
