// The published contracts: current (what `npm run contracts` writes), valid by the reference
// validators of OpenAPI and AsyncAPI, and complete (every HTTP function, every event type).
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Parser } from '@asyncapi/parser';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { eventDefinitions } from '../../events/index.js';
import { localOnlyFunctions, registry } from '../../functions/index.js';

// What the local platform serves (GET /functions): the registry and its own local-only functions.
const served = [...registry, ...localOnlyFunctions];
import { contractFiles, generateContracts } from './generate.js';
import { GATEWAY_TAG } from './gateway.js';
import { typeNameOf } from './types.js';
import { checkGatewayResponse, checkResponse } from './response-testing.js';

const generated = await generateContracts();
const openapi = JSON.parse(generated.openapi) as {
  paths: Record<
    string,
    Record<
      string,
      {
        operationId: string;
        tags: string[];
        'x-local-only'?: true;
        security?: unknown[];
        responses: Record<string, unknown>;
        parameters: Array<{ $ref?: string }>;
      }
    >
  >;
};
const asyncapi = JSON.parse(generated.asyncapi) as {
  channels: Record<string, { address: string }>;
  operations: Record<string, { action: string; 'x-consumer'?: string }>;
};
const everyOperation = Object.entries(openapi.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ ...op, route: `${method.toUpperCase()} ${path}` })),
);
const operations = everyOperation.filter((op) => !op.tags.includes(GATEWAY_TAG));
const gatewayOperations = everyOperation.filter((op) => op.tags.includes(GATEWAY_TAG));

describe('the published contracts', () => {
  it('are what npm run contracts generates (run it after changing a function, a schema or a Trigger)', () => {
    expect(readFileSync(contractFiles.openapi, 'utf8')).toBe(generated.openapi);
    expect(readFileSync(contractFiles.asyncapi, 'utf8')).toBe(generated.asyncapi);
  });

  it('the TypeScript types of the schemas are what npm run contracts generates', () => {
    expect(readFileSync(contractFiles.types, 'utf8')).toBe(generated.types);
    expect(readFileSync(contractFiles.client, 'utf8')).toBe(generated.client);
  });

  it('OpenAPI: valid against the official OpenAPI 3.1 schema, every $ref resolving', async () => {
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(generated.openapi));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const refs = [...generated.openapi.matchAll(/"\$ref": "#\/([^"]+)"/g)].map((m) => m[1] as string);
    const document = JSON.parse(generated.openapi) as Record<string, unknown>;
    const unresolved = refs.filter(
      (ref) =>
        ref
          .split('/')
          .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], document) ===
        undefined,
    );
    expect([...new Set(unresolved)]).toEqual([]);
  });

  it('OpenAPI: one operation per command and query, named after its function', () => {
    const http = served
      .filter((fn) => fn.definition.kind !== 'handler')
      .map((fn) => fn.name)
      .sort();
    expect(operations.map((op) => op.operationId).sort()).toEqual(http);
  });

  it('OpenAPI: problems, Idempotency-Key and If-Match where the runtime answers them', () => {
    const op = (id: string) => operations.find((o) => o.operationId === id)!;
    const checkout = op('order-checkout');
    expect(Object.keys(checkout.responses)).toEqual(expect.arrayContaining(['202', '401', '403', '404', '409', '422', '500', '503']));
    expect(checkout.parameters).toContainEqual({ $ref: '#/components/parameters/idempotencyKey' });
    expect(op('catalog-change-price').parameters).toContainEqual({ $ref: '#/components/parameters/ifMatch' });
    expect(Object.keys(op('catalog-change-price').responses)).toContain('412');
    expect(op('catalog-get-product').parameters).not.toContainEqual({ $ref: '#/components/parameters/ifMatch' });
    expect(Object.keys(op('customer-login').responses)).toContain('429');
    expect(Object.keys(op('billing-delete-invoice').responses)).toContain('204');
  });

  it("OpenAPI: the gateway's own routes, local only except what the cluster's Gateway routes (POST /broker, with a publisher token)", () => {
    expect(gatewayOperations.map((op) => op.route).sort()).toEqual([
      'GET /.well-known/openid-configuration',
      'GET /asyncapi.json',
      'GET /docs/asyncapi',
      'GET /docs/openapi',
      'GET /functions',
      'GET /healthz',
      'GET /journey',
      'GET /journey/flow',
      'GET /journey/metrics',
      'GET /journey/order',
      'GET /journey/script.js',
      'GET /openapi.json',
      'GET /openid/v1/jwks',
      'POST /broker',
      'POST /v1/metrics',
      'POST /v1/traces',
    ]);
    type Match = { method: string; path: { value: string } };
    const httpRoutes = parseAllDocuments(readFileSync(new URL('../../knative/base/gateway.yaml', import.meta.url), 'utf8')).map(
      (doc) => doc.toJS() as { kind: string; metadata: { name: string }; spec: { rules: Array<{ matches: Match[] }> } },
    );
    const broker = httpRoutes.find((doc) => doc.kind === 'HTTPRoute' && doc.metadata.name === 'gotuto-broker');
    const routed = new Set(broker?.spec.rules.flatMap((rule) => rule.matches.map((m) => `${m.method} ${m.path.value}`)));
    expect(gatewayOperations.filter((op) => !op['x-local-only']).map((op) => op.route)).toEqual(['POST /broker']);
    expect(routed.has('POST /broker')).toBe(true);
    expect(gatewayOperations.find((op) => op.route === 'POST /broker')?.security).toEqual([{ publisherToken: [] }]);
    const localOnly = served.filter((fn) => fn.definition.kind !== 'handler' && fn.definition.localOnly).map((fn) => fn.name);
    expect(operations.filter((op) => op['x-local-only']).map((op) => op.operationId)).toEqual(localOnly);
    expect(localOnly).toContain('platform-list-broker-events');
  });

  it('AsyncAPI: valid by @asyncapi/parser, with no error diagnostic', async () => {
    const { document, diagnostics } = await new Parser().parse(generated.asyncapi);
    expect(diagnostics.filter((d) => Number(d.severity) === 0).map((d) => `${d.path.join('/')}: ${d.message}`)).toEqual([]);
    expect(document?.channels().length).toBe(eventDefinitions().length);
  });

  it('AsyncAPI: every event type has its channel, its producer and the consumers of its Triggers', () => {
    expect(
      Object.values(asyncapi.channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual(
      eventDefinitions()
        .map((e) => e.type)
        .sort(),
    );
    const placed = Object.entries(asyncapi.operations).filter(([key]) => key.startsWith('order.order-placed.v1.'));
    expect(placed.map(([, op]) => op.action).sort()).toEqual(['receive', 'send']);
    expect(placed.find(([, op]) => op.action === 'receive')?.[1]['x-consumer']).toBe('inventory-on-order-placed');
    const cancelledConsumers = Object.values(asyncapi.operations).filter(
      (op, i) => Object.keys(asyncapi.operations)[i]?.startsWith('order.order-cancelled.v1.') && op.action === 'receive',
    );
    expect(cancelledConsumers.map((op) => op['x-consumer']).sort()).toEqual([
      'billing-on-order-cancelled',
      'inventory-on-order-cancelled',
      'notification-on-order-cancelled',
      'shipping-on-order-cancelled',
    ]);
  });

  it('every command and query answers the type generated from its response schema (Answer<T>), so the type-check holds them together', () => {
    // The answer type exists only for the type-check: its name is read from the function's module.
    const untied = served
      .filter((fn) => fn.definition.kind !== 'handler' && fn.definition.response)
      .filter((fn) => {
        const source = readFileSync(new URL(`../../functions/${fn.path}.ts`, import.meta.url), 'utf8');
        const name = typeNameOf((fn.definition as { response: { $id: string } }).response.$id);
        return !new RegExp(`export default (command|query)<[^(]*Answer<${name}>>\\(`).test(source);
      })
      .map((fn) => fn.name);
    expect(untied).toEqual([]);
  });

  it('OpenAPI: every command and query that answers a body has a response schema', () => {
    const without = served.filter((fn) => fn.definition.kind !== 'handler' && fn.definition.status !== 204 && !fn.definition.response);
    expect(without.map((fn) => fn.name)).toEqual([]);
  });
});

describe('the check the test clients apply to every answer', () => {
  const fn = registry.find((f) => f.name === 'inventory-get-item');
  const item = {
    id: 'b0f7f1a2-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
    productId: 'b0f7f1a2-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
    onHand: 3,
    reserved: 1,
    available: 2,
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
  const problem = { type: 'https://gotuto.dev/problems/not-found', title: 'Not found', status: 404, detail: 'no such item' };

  it('passes an answer that keeps the contract', () => {
    expect(() => checkResponse(fn, 200, 'application/json', item)).not.toThrow();
    expect(() => checkResponse(fn, 404, 'application/problem+json', problem)).not.toThrow();
  });

  it('fails a body that breaks the response schema, a status the operation does not list, and a problem that is not one', () => {
    const { available: _, ...missing } = item;
    expect(() => checkResponse(fn, 200, 'application/json', missing)).toThrow(/does not satisfy .*inventory\/item\.json.*available/);
    expect(() => checkResponse(fn, 201, 'application/json', item)).toThrow(/does not list/);
    expect(() => checkResponse(fn, 404, 'application/json', problem)).toThrow(/not application\/problem\+json/);
    expect(() => checkResponse(fn, 404, 'application/problem+json', { ...problem, status: 409 })).toThrow(/whose status is 409/);
    expect(() => checkResponse(undefined, 401, 'application/problem+json', { detail: 'x' })).toThrow(/not a problem/);
  });

  it("checks the gateway's own routes by their operations, and refuses an answer from a route the document does not have", () => {
    expect(() => checkGatewayResponse('GET', '/healthz', 200, 'application/json', { status: 'ok', functions: 3 })).not.toThrow();
    expect(() => checkGatewayResponse('GET', '/healthz', 503, 'application/json', { status: 'starting' })).not.toThrow();
    expect(() => checkGatewayResponse('GET', '/healthz', 200, 'application/json', { status: 'fine' })).toThrow(/does not satisfy/);
    expect(() => checkGatewayResponse('POST', '/broker', 202, '', undefined)).not.toThrow();
    expect(() => checkGatewayResponse('POST', '/broker', 400, 'application/problem+json', { ...problem, status: 400 })).not.toThrow();
    expect(() => checkGatewayResponse('POST', '/broker', 400, 'application/json', { ...problem, status: 400 })).toThrow(/not application\/problem\+json/);
    expect(() => checkGatewayResponse('POST', '/broker', 200, '', undefined)).toThrow(/does not list/);
    expect(() => checkGatewayResponse('GET', '/docs/openapi', 200, 'application/json', {})).toThrow(/not text\/html/);
    // OTLP/HTTP answers in the request's encoding; its 400 is a google.rpc.Status, not a problem.
    expect(() =>
      checkGatewayResponse('POST', '/v1/traces', 200, 'application/json', { partialSuccess: { rejectedSpans: '1', errorMessage: 'x' } }),
    ).not.toThrow();
    expect(() => checkGatewayResponse('POST', '/v1/metrics', 200, 'application/x-protobuf', '')).not.toThrow();
    expect(() => checkGatewayResponse('POST', '/v1/traces', 400, 'application/json', { code: 3, message: 'unreadable' })).not.toThrow();
    expect(() => checkGatewayResponse('POST', '/v1/traces', 400, 'application/json', { ...problem, status: 400 })).toThrow(/does not satisfy/);
    expect(() => checkGatewayResponse('POST', '/v1/metrics', 415, 'application/problem+json', { ...problem, status: 415 })).not.toThrow();
    expect(() => checkGatewayResponse('GET', '/journey/order', 404, 'text/html; charset=utf-8', '<p>No order matches</p>')).not.toThrow();
    expect(() => checkGatewayResponse('GET', '/journey/metrics', 200, 'application/json', { items: [{ name: 'x' }] })).toThrow(/does not satisfy/);
    expect(() => checkGatewayResponse('GET', '/nowhere', 404, 'application/problem+json', problem)).not.toThrow();
    expect(() => checkGatewayResponse('GET', '/nowhere', 200, 'application/json', {})).toThrow(/does not have/);
  });
});
