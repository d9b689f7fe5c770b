// Bad input, generated: every function of the registry, over real HTTP on its own server, gets
// requests and events derived from its schemas and broken (functions/runtime/bad-input.ts). Any
// 5xx fails. BAD_INPUT_RUNS (requests per function and kind, 25) and BAD_INPUT_SEED (a fixed
// seed replays a failure; fast-check prints it) tune a run.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { toBinaryHttp } from '../events/index.js';
import { registry } from './index.js';
import { brokenQuery, brokenSample, pathParameter, badValue } from './runtime/bad-input.js';
import type { CommandDefinition, HandlerDefinition, QueryDefinition } from './runtime/definition.js';
import { deliveryTokenFor, startFunctions, tokenFor, useTestDatabase, type TestResponse } from './runtime/testing.js';

const runs = Number(process.env.BAD_INPUT_RUNS ?? 25);
const seed = process.env.BAD_INPUT_SEED === undefined ? undefined : Number(process.env.BAD_INPUT_SEED);
const options = { numRuns: runs, ...(seed === undefined ? {} : { seed }), endOnFailure: true };

useTestDatabase(['billing', 'catalog', 'customer', 'inventory', 'notification', 'order', 'shipping', 'platform']);
const api = startFunctions(registry);
const tokens: Record<'none' | 'admin' | 'customer', string | undefined> = { none: undefined, admin: undefined, customer: undefined };
beforeAll(async () => {
  tokens.admin = await tokenFor('admin');
  tokens.customer = await tokenFor('customer');
  process.env.CATALOG_URL = api.urlOf('catalog/commands/validate-products');
});

type Who = keyof typeof tokens;
/** Mostly a caller the function admits (bad input must get past authentication to matter), sometimes anyone. */
const callerOf = (def: HttpDefinition): fc.Arbitrary<Who> => {
  const allowed: Who[] = def.access === 'public' ? ['none'] : [...def.access];
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...allowed) }, { weight: 1, arbitrary: fc.constantFrom<Who>('none', 'admin', 'customer') });
};

/** What a 5xx says, for the failure message. */
const expectNo5xx = (what: string, response: TestResponse) => {
  expect(response.status, `${what} answered ${response.status}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
};

type HttpDefinition = CommandDefinition<unknown, unknown, unknown, unknown> | QueryDefinition<unknown, unknown, unknown, unknown>;
const httpFunctions = registry.filter((fn) => fn.definition.kind !== 'handler');
const eventHandlers = registry.filter((fn) => fn.definition.kind === 'handler');

const fillRoute = (route: string, params: string[]): string => {
  let i = 0;
  return route.replace(/\{[^}]+\}/g, () => encodeURIComponent(params[i++] ?? randomUUID()));
};

describe('bad input never answers 5xx', () => {
  it.each(httpFunctions.map((fn) => [fn.name, fn] as const))('%s: broken bodies, queries and path parameters', async (_name, fn) => {
    const def = fn.definition as HttpDefinition;
    const [method, route] = def.route.split(' ') as [string, string];
    const body = def.kind === 'command' && def.body ? brokenSample(def.body) : fc.constant(undefined);
    await fc.assert(
      fc.asyncProperty(
        body,
        brokenQuery(def.query),
        fc.array(pathParameter(), { maxLength: 3 }),
        callerOf(def),
        fc.boolean(),
        async (json, query, params, who, ifMatch) => {
          const search = new URLSearchParams(query).toString();
          const path = `${fillRoute(route, params)}${search ? `?${search}` : ''}`;
          const response = await api.request(method, path.startsWith('/') ? path : `/${path}`, {
            ...(json === undefined ? {} : { rawBody: JSON.stringify(json) ?? 'null' }),
            token: tokens[who],
            headers: ifMatch ? { 'if-match': String(json === undefined ? '"x"' : '"1"') } : {},
          });
          expectNo5xx(`${method} ${path} as ${who}`, response);
        },
      ),
      options,
    );
  });

  it.each(eventHandlers.map((fn) => [fn.name, fn] as const))('%s: broken event data', async (_name, fn) => {
    const def = fn.definition as HandlerDefinition<unknown>;
    const data = def.event ? brokenSample(def.event.schema) : badValue();
    const type = def.event?.type ?? 'dev.knative.sources.ping';
    await fc.assert(
      fc.asyncProperty(data, async (broken) => {
        const response = await api.deliver(fn.path, { type, data: broken });
        expectNo5xx(`${type} to ${fn.name}`, response);
      }),
      { ...options, numRuns: def.event ? runs : 2 },
    );
  });

  // The envelope broken the ways other SDKs and attackers break it, at a function's own URL.
  it.each(eventHandlers.filter((fn) => (fn.definition as HandlerDefinition<unknown>).event).map((fn) => [fn.name, fn] as const))(
    '%s: broken CloudEvents envelopes',
    async (_name, fn) => {
      const def = fn.definition as HandlerDefinition<unknown>;
      const envelope = fc.record({
        id: fc.oneof(fc.constant(undefined), fc.constant('x'.repeat(5_000)), fc.uuid()),
        time: fc.oneof(fc.constant(undefined), fc.constantFrom('yesterday', '0000-01-01T00:00:00Z', '2026-02-30T00:00:00Z')),
        data_base64: fc.oneof(
          fc.constant(undefined),
          fc.constantFrom('!!', Buffer.from('{"a":').toString('base64'), Buffer.from('[[[[[[[[[[]]]]]]]]]]').toString('base64')),
        ),
        nesting: fc.constantFrom(0, 100, 20_000),
      });
      await fc.assert(
        fc.asyncProperty(envelope, async ({ id, time, data_base64, nesting }) => {
          const event: Record<string, unknown> = { specversion: '1.0', id, source: '/attacker', type: def.event?.type, time };
          if (data_base64 === undefined) event.data = nesting ? JSON.parse(`${'['.repeat(Math.min(nesting, 100))}${']'.repeat(Math.min(nesting, 100))}`) : {};
          else event.data_base64 = data_base64;
          let body = JSON.stringify(event);
          if (nesting > 100) body = body.replace(/"data":\[.*\]/, `"data":${'['.repeat(nesting)}${']'.repeat(nesting)}`);
          const response = await api.requestAt(fn.path, 'POST', {
            rawBody: body,
            contentType: 'application/cloudevents+json',
            token: await deliveryTokenFor(fn.name),
          });
          expect(response.status, `${fn.name}: ${response.text}`).toBeLessThan(500);
        }),
        { ...options, numRuns: Math.min(runs, 8) },
      );
    },
  );

  it('a binary delivery of the right type with a 20,000-deep body is a 400 with a pointer', async () => {
    const fn = eventHandlers.find((f) => (f.definition as HandlerDefinition<unknown>).event) as (typeof eventHandlers)[number];
    const def = fn.definition as HandlerDefinition<unknown>;
    const { headers } = toBinaryHttp({
      id: randomUUID(),
      type: def.event?.type as string,
      source: '/t',
      subject: 's',
      time: new Date().toISOString(),
      data: {},
    });
    const response = await api.requestAt(fn.path, 'POST', {
      rawBody: `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      headers,
      token: await deliveryTokenFor(fn.name),
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: '/data', message: expect.stringMatching(/deeper than/) }]);
  });
});

// The 500s found by hand before this suite existed, each pinned to its 4xx and pointer.
describe('bad input that answered 500 before', () => {
  const LISTS: Array<[route: string, who: 'admin' | 'customer']> = [
    ['/billing/clients', 'admin'],
    ['/billing/invoices', 'admin'],
    ['/catalog/products', 'admin'],
    ['/customers', 'admin'],
    ['/notifications', 'admin'],
    ['/notifications/me', 'customer'],
    ['/orders', 'admin'],
    ['/orders', 'customer'],
    ['/shipping/shipments', 'admin'],
  ];

  it.each(LISTS)('GET %s (as %s) with a cursor in the year 0000 is a 422 at /query/cursor', async (route, who) => {
    const cursor = Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000000Z', randomUUID()]), 'utf8').toString('base64url');
    const response = await api.request('GET', `${route}?cursor=${cursor}`, { token: tokens[who] });
    expect(response.status, response.text).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ pointer: '/query/cursor' })]);
  });

  it('an invoice due on 0000-01-01 is a 422 at /dueDate', async () => {
    const client = await api.request('POST', '/billing/clients', {
      token: tokens.admin,
      body: { name: 'Year Zero', email: `zero-${randomUUID()}@example.test` },
    });
    const response = await api.request('POST', '/billing/invoices', {
      token: tokens.admin,
      body: { clientId: client.body.id, dueDate: '0000-01-01', lines: [{ description: 'x', quantity: 1, unitPrice: { amount: 100, currency: 'EUR' } }] },
    });
    expect(response.status, response.text).toBe(422);
    expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/dueDate' })]));
  });

  it('a command body nested 20,000 arrays deep is a 400 at the root', async () => {
    const response = await api.request('POST', '/customers/login', { rawBody: `{"email":${'['.repeat(20_000)}${']'.repeat(20_000)}}` });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ pointer: '/', message: expect.stringMatching(/deeper than/) }]);
  });
});
