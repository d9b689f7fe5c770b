// kafkajs against a real Kafka broker (the one `npm run kafka -- start` runs): CloudEvents in Kafka
// binary mode through an idempotent producer and a consumer group that commits after processing,
// and the script's status command. Skipped unless KAFKA_BROKERS is set.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka as CloudEventsKafka } from 'cloudevents';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type IHeaders, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BROKERS = process.env.KAFKA_BROKERS ?? '';

interface OrderEvent {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  partitionkey: string;
  correlationid: string;
  data: { orderId: string; step: number; total: { amount: number; currency: string } };
}

/** CloudEvents Kafka protocol binding, binary mode: attributes in ce_ headers, data as the value. */
const toKafkaMessage = (event: OrderEvent): { key: Buffer; value: Buffer; headers: IHeaders } => ({
  key: Buffer.from(event.partitionkey),
  value: Buffer.from(JSON.stringify(event.data)),
  headers: {
    'content-type': Buffer.from('application/json'),
    ce_specversion: Buffer.from('1.0'),
    ce_id: Buffer.from(event.id),
    ce_type: Buffer.from(event.type),
    ce_source: Buffer.from(event.source),
    ce_subject: Buffer.from(event.subject),
    ce_time: Buffer.from(event.time),
    ce_partitionkey: Buffer.from(event.partitionkey),
    ce_correlationid: Buffer.from(event.correlationid),
  },
});

const orderEvent = (orderId: string, step: number): OrderEvent => ({
  id: randomUUID(),
  type: 'com.gotuto.order.order-placed.v1',
  source: '/gotuto/order',
  subject: orderId,
  time: new Date().toISOString(),
  partitionkey: orderId,
  correlationid: randomUUID(),
  data: { orderId, step, total: { amount: 1999 + step, currency: 'EUR' } },
});

/** Header values as kafkajs hands them over (Buffers), decoded. */
const decodeHeaders = (headers: KafkaMessage['headers']): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    expect(Buffer.isBuffer(value), `header ${name} is a Buffer`).toBe(true);
    out[name] = (value as Buffer).toString('utf8');
  }
  return out;
};

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))]);

/** Runs the script's CLI the way `npm run kafka -- <command>` does. */
const runScript = (command: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', resolve(ROOT, 'scripts/kafka.ts'), command],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });

const freePort = (): Promise<number> =>
  new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });

// A short fetch wait: a consumer disconnects once its fetch in flight returns (5 s by default).
const CONSUMER = { sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 250 };

describe.skipIf(!BROKERS)('Kafka through kafkajs (set KAFKA_BROKERS to run: npm run kafka -- start)', () => {
  const kafka = new Kafka({ clientId: 'gotuto-kafka-test', brokers: BROKERS.split(','), logLevel: logLevel.NOTHING });
  const topics: string[] = [];
  let admin: Admin;
  const consumers: Consumer[] = [];

  const newTopic = async (numPartitions: number): Promise<string> => {
    const topic = `gotuto-test-${randomUUID()}`;
    topics.push(topic);
    expect(await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })).toBe(true);
    return topic;
  };

  const produce = async (topic: string, events: OrderEvent[]): Promise<void> => {
    // Idempotent, acks from all in-sync replicas; the Java client's murmur2 partitioner, as Knative's
    // Kafka broker (a Java client) uses, so a key lands on the same partition from either side.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      const results = await producer.send({ topic, acks: -1, messages: events.map(toKafkaMessage) });
      expect(results.every((r) => r.errorCode === 0)).toBe(true);
    } finally {
      await producer.disconnect();
    }
  };

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    if (admin) {
      if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('round-trips binary-mode CloudEvents: ce_ headers as Buffers, JSON data as value, partition key as key', async () => {
    const topic = await newTopic(3);
    const groupId = `gotuto-test-${randomUUID()}`;
    const orders = ['order-a', 'order-b', 'order-c', 'order-d'];
    const sent = [1, 2, 3].flatMap((step) => orders.map((orderId) => orderEvent(orderId, step)));
    await produce(topic, sent);

    const consumer = kafka.consumer({ groupId, ...CONSUMER });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { partition: number; offset: string; key: string; headers: Record<string, string>; value: string }[] = [];
    await withTimeout(
      new Promise<void>((done, fail) => {
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ topic: t, partition, message }) => {
              // Process first (here: decode and keep), then commit the next offset to read.
              received.push({
                partition,
                offset: message.offset,
                key: message.key?.toString('utf8') ?? '',
                headers: decodeHeaders(message.headers),
                value: message.value?.toString('utf8') ?? '',
              });
              await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
              if (received.length === sent.length) done();
            },
          })
          .catch(fail);
      }),
      25_000,
      `consuming ${sent.length} events`,
    );

    expect(received).toHaveLength(sent.length);
    for (const event of sent) {
      const got = received.find((r) => r.headers.ce_id === event.id);
      expect(got, `event ${event.id} received`).toBeDefined();
      if (!got) continue;
      expect(got.key).toBe(event.partitionkey);
      expect(got.headers).toEqual({
        'content-type': 'application/json',
        ce_specversion: '1.0',
        ce_id: event.id,
        ce_type: event.type,
        ce_source: event.source,
        ce_subject: event.subject,
        ce_time: event.time,
        ce_partitionkey: event.partitionkey,
        ce_correlationid: event.correlationid,
      });
      expect(JSON.parse(got.value)).toEqual(event.data);
      // The CloudEvents SDK reads the same message as the event that was sent.
      const message = { headers: got.headers, key: got.key, value: got.value, body: got.value };
      const ce = CloudEventsKafka.toEvent(message);
      expect(Array.isArray(ce)).toBe(false);
      expect(ce).toMatchObject({
        id: event.id,
        type: event.type,
        source: event.source,
        subject: event.subject,
        partitionkey: event.partitionkey,
        correlationid: event.correlationid,
        data: event.data,
      });
    }
    // One partition per key, and the order of each key's events kept.
    for (const orderId of orders) {
      const ofOrder = received.filter((r) => r.key === orderId);
      expect(new Set(ofOrder.map((r) => r.partition)).size).toBe(1);
      expect(ofOrder.map((r) => (JSON.parse(r.value) as OrderEvent['data']).step)).toEqual([1, 2, 3]);
    }

    // Committed offsets are the ends of the partitions: everything processed is committed.
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const end of ends) {
      const offset = committed?.partitions.find((p) => p.partition === end.partition)?.offset;
      expect(offset === '-1' ? '0' : offset, `partition ${end.partition}`).toBe(end.high);
    }
    const { groups } = await admin.describeGroups([groupId]);
    expect(groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer' });
    expect(groups[0]?.members).toHaveLength(1);

    await consumer.disconnect();
    const after = await admin.describeGroups([groupId]);
    expect(after.groups[0]?.state).toBe('Empty');
  });

  it('commits only after processing: what a member did not finish is redelivered to the group', async () => {
    const topic = await newTopic(1);
    const groupId = `gotuto-test-${randomUUID()}`;
    const sent = [1, 2, 3, 4].map((step) => orderEvent('order-z', step));
    await produce(topic, sent);

    // The first member processes two events, then "crashes" on the third: it neither finishes
    // nor commits it, nor anything after it.
    const first = kafka.consumer({ groupId, ...CONSUMER });
    consumers.push(first);
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    const processedByFirst: number[] = [];
    await withTimeout(
      new Promise<void>((done, fail) => {
        let crashed = false;
        first
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const step = (JSON.parse(message.value?.toString('utf8') ?? '{}') as OrderEvent['data']).step;
              if (crashed) return;
              if (step === 3) {
                crashed = true;
                done();
                return;
              }
              processedByFirst.push(step);
              await first.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
            },
          })
          .catch(fail);
      }),
      25_000,
      'the first member reaching the third event',
    );
    await first.disconnect();
    expect(processedByFirst).toEqual([1, 2]);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed?.partitions[0]?.offset).toBe('2');

    // A second member of the group resumes at the first unprocessed event.
    const second = kafka.consumer({ groupId, ...CONSUMER });
    consumers.push(second);
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    const processedBySecond: number[] = [];
    await withTimeout(
      new Promise<void>((done, fail) => {
        second
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              processedBySecond.push((JSON.parse(message.value?.toString('utf8') ?? '{}') as OrderEvent['data']).step);
              await second.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
              if (processedBySecond.length === 2) done();
            },
          })
          .catch(fail);
      }),
      25_000,
      'the second member processing the rest',
    );
    await second.disconnect();
    expect(processedBySecond).toEqual([3, 4]);
    const [final] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(final?.partitions[0]?.offset).toBe('4');
  });

  const [host, port] = BROKERS.split(',')[0]?.split(':') ?? [];
  it.skipIf(host !== '127.0.0.1' || !port)('npm run kafka -- status: running at the bootstrap address, stopped where nothing listens', async () => {
    const up = await runScript('status', { KAFKA_PORT: port ?? '' });
    expect(up.stderr).toBe('');
    expect(up.stdout).toMatch(/^kafka: running/m);
    expect(up.stdout).toContain(`KAFKA_BROKERS=127.0.0.1:${port}`);
    expect(up.code).toBe(0);

    const unused = String(await freePort());
    const down = await runScript('status', { KAFKA_PORT: unused });
    expect(down.stdout).toContain(`kafka: stopped (bootstrap address 127.0.0.1:${unused})`);
    expect(down.stdout).not.toContain('KAFKA_BROKERS=');
    expect(down.code).toBe(3);
  });
});
