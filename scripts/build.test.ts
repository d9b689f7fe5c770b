// The build as `npm run build` runs it, into a temporary directory: one bundle per function, and a
// bundle that serves its function over HTTP from outside the repository (no node_modules in
// reach), as it does in the container.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toBinaryHttp } from '../events/index.js';
import { customerRegistered } from '../events/customer.js';
import { registry } from '../functions/index.js';
import { startOtlpReceiver } from '../functions/runtime/otlp-testing.js';
import { deliveryTokenFor, tokenFor, useTestDatabase } from '../functions/runtime/testing.js';
import { freePort, request, startProcess, waitForHttp, type Child } from './bench/processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
// The function that the bundle test starts: the first command, else the first function.
const target = registry.find((fn) => fn.definition.kind === 'command') ?? registry[0];
// The Notification handler whose send after commit a SIGTERM must not cut off.
const notifier = registry.find((fn) => fn.path === 'notification/handlers/on-customer-registered');
const db = useTestDatabase([...new Set([target?.context, notifier?.context].filter((c): c is string => c !== undefined))]);

let outdir: string;
let stdout: string;
const children: Child[] = [];

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'gotuto-build-'));
  const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], {
    cwd: root,
    env: { ...process.env, BUILD_OUTDIR: outdir },
    maxBuffer: 16 * 1024 * 1024,
  });
  stdout = run.stdout;
}, 180_000);

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('writes exactly one bundle per registry entry, and reports their sizes', () => {
    const bundles = readdirSync(join(outdir, 'functions')).sort();
    // Beside them, the OpenTelemetry SDK, read only by a function that has an OTLP endpoint, and
    // Kafka, read only by an outbox that publishes to a Kafka topic.
    expect(bundles).toEqual([...registry.map((fn) => `${fn.name}.js`), 'telemetry-sdk.js', 'outbox-kafka.js'].sort());
    expect(stdout).toMatch(/function bundle\(s\)/);
    for (const fn of registry) expect(stdout).toContain(`functions/${fn.name}.js`);
  });

  it('bundles the migration runner when there is one', () => {
    expect(existsSync(join(outdir, 'migrate.js'))).toBe(existsSync(join(root, 'scripts', 'migrate.ts')));
  });

  it('gives a bundle that serves its function over HTTP on PORT, and stops on SIGTERM', async () => {
    expect(target, 'the registry has no function yet').toBeDefined();
    if (!target) return;
    const port = await freePort();
    const child = startProcess(process.execPath, [join(outdir, 'functions', `${target.name}.js`)], {
      // Outside the repository, like the container: the bundle must need nothing from node_modules.
      cwd: outdir,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: db.url, NODE_ENV: 'production' },
    });
    children.push(child);

    const health = await waitForHttp(port, child, { path: '/healthz', deadlineMs: 20_000 });
    expect(health.status).toBe(200);

    const definition = target.definition;
    const [method, pattern] = 'route' in definition ? definition.route.split(/\s+/) : ['POST', '/'];
    const path = (pattern ?? '/').replace(/\{[^}]+\}/g, () => randomUUID());
    const answer = await request(port, {
      method,
      path,
      headers: { authorization: `Bearer ${await tokenFor('admin')}`, 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : '{}',
    });
    expect(answer.status, answer.body).toBeGreaterThanOrEqual(200);
    expect(answer.status, answer.body).toBeLessThan(500);

    expect(await child.stop(10_000)).toBe(0);
  }, 60_000);

  it('exports the span of each invocation to the OTLP endpoint, and what is left when SIGTERM stops it', async () => {
    if (!target) return;
    const receiver = await startOtlpReceiver();
    try {
      const port = await freePort();
      const child = startProcess(process.execPath, [join(outdir, 'functions', `${target.name}.js`)], {
        cwd: outdir,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_URL: db.url,
          NODE_ENV: 'production',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        },
      });
      children.push(child);
      expect((await waitForHttp(port, child, { path: '/healthz', deadlineMs: 20_000 })).status).toBe(200);
      const traceId = randomBytes(16).toString('hex');
      const caller = randomBytes(8).toString('hex');
      const definition = target.definition;
      const [method, pattern] = 'route' in definition ? definition.route.split(/\s+/) : ['POST', '/'];
      await request(port, {
        method,
        path: (pattern ?? '/').replace(/\{[^}]+\}/g, () => randomUUID()),
        headers: { authorization: `Bearer ${await tokenFor('admin')}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${caller}-01` },
        body: method === 'GET' ? undefined : '{}',
      });
      // The batch is not due yet: only the stop sends it.
      expect(await child.stop(10_000)).toBe(0);
      const invocation = receiver.spans().find((s) => s.traceId === traceId && s.kind === 'server');
      expect(invocation).toMatchObject({ name: target.name, parentSpanId: caller, service: target.name });
      expect(invocation?.attributes).toMatchObject({ 'faas.name': target.name, 'faas.trigger': 'http', 'faas.coldstart': true });
      expect(receiver.metricsSnapshot().value('faas.invoke_duration', { 'faas.name': target.name })).toBe(1);
    } finally {
      await receiver.stop();
    }
  }, 60_000);

  it('finishes the email a handler started sending before a SIGTERM stops the process', async () => {
    expect(notifier, 'no Notification handler of customer-registered').toBeDefined();
    if (!notifier) return;
    // An SMTP server that takes its time to accept a message.
    const received: string[] = [];
    let receiving: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (receiving = resolve));
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      onData(stream, session, callback) {
        receiving();
        stream.resume();
        stream.on('end', () =>
          setTimeout(() => {
            received.push(...session.envelope.rcptTo.map((r) => r.address));
            callback(null);
          }, 1500),
        );
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = await freePort();
      // DELIVERY_TOKEN_ISSUER names the test issuer in the child's environment.
      const authorization = `Bearer ${await deliveryTokenFor(notifier.name)}`;
      const child = startProcess(process.execPath, [join(outdir, 'functions', `${notifier.name}.js`)], {
        cwd: outdir,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          DATABASE_URL: db.url,
          NODE_ENV: 'production',
          SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
          NOTIFICATION_SEND_AFTER_COMMIT: 'true',
        },
      });
      children.push(child);
      expect((await waitForHttp(port, child, { path: '/healthz', deadlineMs: 20_000 })).status).toBe(200);

      const customerId = randomUUID();
      const email = `sigterm.${customerId.slice(0, 8)}@example.test`;
      const { headers, body } = toBinaryHttp({
        id: randomUUID(),
        type: customerRegistered.type,
        source: '/customer',
        subject: customerId,
        time: new Date().toISOString(),
        dataschema: customerRegistered.dataschema,
        data: { customerId, email, name: 'Sig Term', role: 'customer' },
      });
      const answer = await request(port, { method: 'POST', path: '/', headers: { ...headers, authorization }, body });
      expect(answer.status, answer.body).toBe(204);

      // The welcome email is on its way: stop the process now.
      await started;
      expect(await child.stop(10_000)).toBe(0);
      expect(received).toEqual([email]);
      const rows = await db.query<{ status: string }>('SELECT status FROM notification.notifications WHERE recipient_id = $1', [customerId]);
      expect(rows.map((r) => r.status)).toEqual(['sent']);
    } finally {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  }, 60_000);
});
