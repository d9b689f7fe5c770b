// The order saga with Knative's own Kafka data plane as the Broker: the functions on the local
// platform (scripts/bench/knative-platform.ts, DELIVERY_AUTH=network-policy), publishing to Knative's
// receiver, and Knative's dispatcher delivering every step from the contract of knative/base's
// Triggers. An order placed is confirmed, as a shopper sees it. Skipped, the name saying why,
// without the data plane's build (KNATIVE_DATA_PLANE_DIR), Java 21+ or Kafka.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../functions/runtime/auth.js';
import { destinationUrl } from '../../local/platform.js';
import { loadRouting } from '../../local/routing.js';
import { receiverEnv, startReceiver, type Receiver } from './broker.js';
import { contractFor, createBrokerTopic, findDataPlane, startDataPlane, type DataPlane, type DataPlaneBuild } from './knative-data-plane.js';
import { freePort, temporaryDir } from './processes.js';
import { Client, createProduct, placeOrder, registerCustomer } from './saga.js';

const BROKERS = process.env.KAFKA_BROKERS;
const build = findDataPlane();
const why = 'skipped' in build ? build.skipped : BROKERS ? '' : 'KAFKA_BROKERS is not set';

describe.skipIf(why !== '')(`the saga under Knative's Kafka dispatcher${why ? ` (${why})` : ''}`, () => {
  const topic = `gotuto-knative-saga-${randomUUID().slice(0, 8)}`;
  const secret = randomBytes(32).toString('base64url');
  let plane: DataPlane;
  let platform: Receiver;
  let dropTopic: () => Promise<void>;

  beforeAll(async () => {
    const routing = loadRouting(join(process.cwd(), 'knative', 'base'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const byName = new Map(routing.triggers.map((t) => [t.name, t]));
    const contract = contractFor({
      broker: { namespace: 'gotuto-test', name: routing.broker.name, topic, bootstrapServers: BROKERS as string },
      triggers: routing.triggers,
      destination: (t) => destinationUrl(base, t.subscriber),
      deadLetter: (name) => {
        const sink = name ? byName.get(name)?.delivery.deadLetterSink : undefined;
        return sink ? destinationUrl(base, sink) : undefined;
      },
    });
    dropTopic = (await createBrokerTopic(BROKERS as string, topic, routing.topic.partitions)).drop;
    plane = await startDataPlane({ build: build as DataPlaneBuild, contract, logDir: join(tmpdir(), `gotuto-knative-saga-${topic}`) });
    const dataDir = temporaryDir('gotuto-knative-saga-');
    const args = [
      '--import',
      'tsx',
      join('scripts', 'bench', 'knative-platform.ts'),
      '--sink',
      plane.ingressUrl,
      '--port',
      String(port),
      '--data-dir',
      dataDir.path,
    ];
    const env = { ...receiverEnv(), JWT_SECRET: secret, DELIVERY_AUTH: 'network-policy' };
    platform = await startReceiver(process.cwd(), args, env, join(tmpdir(), `gotuto-knative-saga-${topic}.log`), dataDir.remove);
  }, 300_000);

  afterAll(async () => {
    await platform?.stop();
    await plane?.stop();
    await dropTopic?.();
  });

  it("confirms an order: every step delivered by Knative's dispatcher to the functions", async () => {
    const client = new Client(platform.url.replace(/\/+$/, ''), await signToken({ id: randomUUID(), role: 'admin' }, '1h', secret));
    // The product's stock item and the customer's Billing client come through the Broker too.
    const productId = await createProduct(client, 10);
    const buyer = await registerCustomer(client);
    const placed = await placeOrder(client, buyer, productId, 50, performance.now() + 60_000);
    expect(placed.status).toBe('confirmed');
    const order = await client.expect(200, 'GET', `/orders/${placed.orderId}`, buyer.token);
    expect(order.body).toMatchObject({ id: placed.orderId, status: 'confirmed' });
    expect(order.body.invoiceId).toEqual(expect.any(String));
    const item = await client.expect(200, 'GET', `/inventory/items/${productId}`);
    expect(item.body).toMatchObject({ reserved: 1 });
  }, 180_000);
});
