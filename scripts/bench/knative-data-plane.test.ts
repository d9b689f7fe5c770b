// The contract the bench generates is one Knative's own Kafka data plane accepts: its real receiver
// and dispatcher (KNATIVE_DATA_PLANE_DIR, built as scripts/README.md says) run on the contract made
// of knative/base's Broker and Triggers plus two Triggers of this test, on a topic of their own; an
// event to a node:http subscriber arrives, and the event a failing subscriber refuses ends in the
// dead-letter sink with Knative's error context. Without the build, Java 21+ or Kafka, the tests are
// reported skipped, their name saying why.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRouting, type TriggerSpec } from '../../local/routing.js';
import { contractFor, createBrokerTopic, findDataPlane, startDataPlane, type DataPlane, type DataPlaneBuild } from './knative-data-plane.js';
import { request } from './processes.js';

const BROKERS = process.env.KAFKA_BROKERS;
const build = findDataPlane();
const why = 'skipped' in build ? build.skipped : BROKERS ? '' : 'KAFKA_BROKERS is not set';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A node:http subscriber that keeps what it receives and answers `status` (with `body`). */
const subscriber = async (status: number, body = '') => {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};

const until = async (test: () => boolean, ms: number) => {
  const deadline = performance.now() + ms;
  while (!test() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
};

const delivery = { retry: 1, backoffPolicy: 'exponential' as const, backoffDelayMs: 100, timeoutMs: 5_000 };

describe.skipIf(why !== '')(`Knative's Kafka data plane on the bench's contract${why ? ` (${why})` : ''}`, () => {
  const topic = `gotuto-knative-test-${randomUUID().slice(0, 8)}`;
  let ok: Awaited<ReturnType<typeof subscriber>>;
  let failing: Awaited<ReturnType<typeof subscriber>>;
  let deadLetters: Awaited<ReturnType<typeof subscriber>>;
  let plane: DataPlane;
  let dropTopic: () => Promise<void>;

  beforeAll(async () => {
    [ok, failing, deadLetters] = await Promise.all([subscriber(204), subscriber(500, 'boom'), subscriber(202)]);
    const routing = loadRouting(join(process.cwd(), 'knative', 'base'));
    const ours: TriggerSpec[] = [
      { name: 'test-ok', attributes: { type: 'com.gotuto.test.ok.v1' }, subscriber: { uri: ok.url }, delivery, ordered: false },
      {
        name: 'test-failing',
        attributes: { type: 'com.gotuto.test.failing.v1' },
        subscriber: { uri: failing.url },
        delivery: { ...delivery, deadLetterSink: { uri: 'dead-letters' } },
        ordered: true,
      },
    ];
    const contract = contractFor({
      broker: { namespace: 'gotuto-test', name: routing.broker.name, topic, bootstrapServers: BROKERS as string },
      triggers: [...routing.triggers, ...ours],
      // knative/base's Triggers deliver nowhere reachable: no event of theirs is sent here.
      destination: (t) => (t.subscriber.uri?.startsWith('http') ? t.subscriber.uri : `http://127.0.0.1:9/functions/${t.subscriber.service}`),
      deadLetter: (trigger) => `${deadLetters.url}/?trigger=${trigger ?? ''}`,
    });
    dropTopic = (await createBrokerTopic(BROKERS as string, topic, 3)).drop;
    plane = await startDataPlane({ build: build as DataPlaneBuild, contract, logDir: join(tmpdir(), `gotuto-knative-test-${topic}`) });
  }, 240_000);

  afterAll(async () => {
    await plane?.stop();
    await dropTopic?.();
    await Promise.all([ok?.close(), failing?.close(), deadLetters?.close()]);
  });

  const publish = (type: string, id: string) => {
    const url = new URL(plane.ingressUrl);
    const headers = {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-type': type,
      'ce-source': '/gotuto/test',
      'ce-subject': id,
      'content-type': 'application/json',
    };
    return request(Number(url.port), { method: 'POST', path: url.pathname, headers, body: JSON.stringify({ id }) });
  };

  it('takes an event at the Broker path and delivers it to the subscriber of the Trigger whose filter matches', async () => {
    const id = randomUUID();
    expect((await publish('com.gotuto.test.ok.v1', id)).status).toBe(202);
    await until(() => ok.received.some((r) => r.headers['ce-id'] === id), 60_000);
    const got = ok.received.find((r) => r.headers['ce-id'] === id);
    expect(got?.headers['ce-type']).toBe('com.gotuto.test.ok.v1');
    expect(JSON.parse(got?.body ?? '{}')).toEqual({ id });
    expect(failing.received.some((r) => r.headers['ce-id'] === id)).toBe(false);
  }, 90_000);

  it("hands what a subscriber keeps refusing to the dead-letter sink, with Knative's error context", async () => {
    const id = randomUUID();
    expect((await publish('com.gotuto.test.failing.v1', id)).status).toBe(202);
    await until(() => deadLetters.received.some((r) => r.headers['ce-id'] === id), 60_000);
    // The first attempt and its one retry.
    expect(failing.received.filter((r) => r.headers['ce-id'] === id)).toHaveLength(2);
    const letter = deadLetters.received.find((r) => r.headers['ce-id'] === id);
    expect(letter?.path).toBe('/?trigger=test-failing');
    expect(letter?.headers['ce-knativeerrordest']).toBe(failing.url);
    expect(letter?.headers['ce-knativeerrorcode']).toBe('500');
    expect(Buffer.from(String(letter?.headers['ce-knativeerrordata']), 'base64').toString('utf8')).toBe('boom');
    expect(JSON.parse(letter?.body ?? '{}')).toEqual({ id });
  }, 90_000);

  it('refuses an event at a path that is no Broker of the contract', async () => {
    const url = new URL(plane.ingressUrl);
    const answer = await request(Number(url.port), {
      method: 'POST',
      path: '/gotuto-test/other',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'x', 'ce-type': 't', 'ce-source': '/s' },
      body: '{}',
    });
    expect(answer.status).toBe(404);
  });
});
