// The broker is durable: an event accepted before a stop is delivered after the restart, once per
// Trigger, and delivery state survives too. `npm run token` signs with the secret the platform keeps
// in its data directory when JWT_SECRET is unset.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toBinaryHttp, type ReceivedEvent } from '../events/index.js';
import type { TriggerSpec } from './routing.js';
import { checkedFetch, createTestEnvironment, httpClient, publisherHeaders, type TestEnvironment } from './testing.js';

const run = promisify(execFile);
delete process.env.JWT_SECRET;

let receiver: Server;
const received: string[] = [];
let env: TestEnvironment;
let trigger: TriggerSpec;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    received.push(String(req.headers['ce-id']));
    req.resume();
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  trigger = {
    name: 'durable-receiver',
    filters: [{ exact: { source: '/test/durable' } }],
    subscriber: { uri: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` },
    delivery: { retry: 3, backoffPolicy: 'exponential', backoffDelayMs: 20, timeoutMs: 2000 },
    ordered: false,
  };
  env = await createTestEnvironment();
}, 60_000);

afterAll(async () => {
  await env?.dispose();
  await new Promise<void>((r) => receiver?.close(() => r()));
});

const publish = async (url: string) => {
  const event = {
    id: randomUUID(),
    type: 'com.gotuto.test.durable.v1',
    source: '/test/durable',
    subject: 's',
    time: new Date().toISOString(),
    data: {},
  } as ReceivedEvent<unknown>;
  const { headers, body } = toBinaryHttp(event);
  const res = await checkedFetch(`${url}/broker`, { method: 'POST', headers: { ...headers, ...publisherHeaders() }, body });
  expect(res.status).toBe(202);
  return event.id;
};

it('delivers after a restart what it accepted before, once, and remembers what it delivered', async () => {
  let platform = await env.start({ extraTriggers: [trigger], deliver: false });
  const ids = [await publish(platform.url), await publish(platform.url)];
  await platform.stop();
  expect(received).toEqual([]);

  platform = await env.start({ extraTriggers: [trigger] });
  await platform.broker.idle();
  expect(received.sort()).toEqual([...ids].sort());
  await platform.stop();

  platform = await env.start({ extraTriggers: [trigger] });
  await new Promise((r) => setTimeout(r, 300));
  await platform.broker.idle();
  expect(received).toHaveLength(2);
  await platform.stop();
}, 120_000);

it('accepts the tokens of npm run token, signed with the secret kept in the data directory', async () => {
  const platform = await env.start();
  try {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, GOTUTO_DATA_DIR: env.dataDir };
    delete childEnv.JWT_SECRET;
    const { stdout } = await run('npx', ['tsx', 'scripts/token.ts', '--role', 'admin'], { env: childEnv, cwd: process.cwd() });
    const token = stdout.trim();
    const call = httpClient(() => platform.url);
    const ok = await call('GET', '/broker/events', token);
    expect(ok.status).toBe(200);
    const { stdout: customer } = await run('npx', ['tsx', 'scripts/token.ts', '--role', 'customer', '--sub', randomUUID()], { env: childEnv });
    const denied = await call('GET', '/broker/events', customer.trim());
    expect(denied.status).toBe(403);
    await expect(run('npx', ['tsx', 'scripts/token.ts', '--role', 'root'], { env: childEnv })).rejects.toThrow(/usage/);
  } finally {
    await platform.stop();
  }
}, 60_000);

it('admits to POST /broker the publisher token of npm run token -- --publisher, and nothing without one', async () => {
  const platform = await env.start();
  try {
    const { stdout } = await run('npx', ['tsx', 'scripts/token.ts', '--publisher'], { env: { ...process.env, GOTUTO_DATA_DIR: env.dataDir } });
    const { headers, body } = toBinaryHttp({
      id: randomUUID(),
      type: 'com.gotuto.test.durable.v1',
      source: '/test/person',
      subject: 's',
      data: {},
    } as ReceivedEvent<unknown>);
    const post = (extra: Record<string, string>) => checkedFetch(`${platform.url}/broker`, { method: 'POST', headers: { ...headers, ...extra }, body });
    expect((await post({ authorization: `Bearer ${stdout.trim()}` })).status).toBe(202);
    const anonymous = await post({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect((await anonymous.json()).detail).toMatch(/bearer token for the audience eventing\.knative\.dev\/broker\/default\/gotuto/);
  } finally {
    await platform.stop();
  }
}, 60_000);
