// The published contracts: current (what `npm run contracts` writes), valid by the reference
// validators of OpenAPI and AsyncAPI, and complete (every HTTP function, every event type).
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { eventDefinitions } from '../../events/index.js';
import { registry } from '../../functions/index.js';
import { contractFiles, generateContracts } from './generate.js';
import { checkResponse } from './response-testing.js';

const generated = await generateContracts();
const openapi = JSON.parse(generated.openapi) as {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; parameters: Array<{ $ref?: string }> }>>;
};
const asyncapi = JSON.parse(generated.asyncapi) as {
  channels: Record<string, { address: string }>;
  operations: Record<string, { action: string; 'x-consumer'?: string }>;
};
const operations = Object.values(openapi.paths).flatMap((methods) => Object.values(methods));

describe('the published contracts', () => {
  it('are what npm run contracts generates (run it after changing a function, a schema or a Trigger)', () => {
    expect(readFileSync(contractFiles.openapi, 'utf8')).toBe(generated.openapi);
    expect(readFileSync(contractFiles.asyncapi, 'utf8')).toBe(generated.asyncapi);
  });

  it('the TypeScript types of the schemas are what npm run contracts generates', () => {
    expect(readFileSync(contractFiles.types, 'utf8')).toBe(generated.types);
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
    const http = registry
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

  it('OpenAPI: every command and query that answers a body has a response schema', () => {
    const without = registry.filter((fn) => fn.definition.kind !== 'handler' && fn.definition.status !== 204 && !fn.definition.response);
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
});
