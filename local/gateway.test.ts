// The gateway resolves a request by the runtime's one route rule, whatever the order in which
// functions were registered: a function added after the registry with a literal segment where an
// existing route has a parameter is reached, and a route that could shadow another is refused at start.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type RegisteredFunction } from '../functions/runtime/definition.js';
import type { Platform } from './platform.js';
import { createTestEnvironment, type TestEnvironment } from './testing.js';

process.env.JWT_SECRET ??= 'gateway-test-secret-gateway-test-secret';

const extra = (file: string, route: string, answer: Record<string, unknown>): RegisteredFunction => ({
  name: `catalog-${file}`,
  context: 'catalog',
  path: `catalog/queries/${file}`,
  definition: query({ route, access: 'public', handle: async () => answer }),
});

describe('the gateway routes by precedence, not by registration order', () => {
  let env: TestEnvironment;
  let platform: Platform;
  const call = async (method: string, path: string) => {
    // A bare fetch: the function added here is no part of the published contract the test clients check.
    // eslint-disable-next-line no-restricted-globals
    const res = await fetch(platform.url + path, { method });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    env = await createTestEnvironment();
    // Registered after catalog-get-product (GET /catalog/products/{id}), as a newcomer adds it.
    platform = await env.start({ extraFunctions: [extra('count-products', 'GET /catalog/products/count', { count: 42 })] });
  });
  afterAll(async () => env?.dispose());

  it('sends GET /catalog/products/count to the function with the literal segment', async () => {
    const answer = await call('GET', '/catalog/products/count');
    expect(answer).toEqual({ status: 200, body: { count: 42 } });
  });

  it('still sends GET /catalog/products/{id} to catalog-get-product', async () => {
    const id = randomUUID();
    const answer = await call('GET', `/catalog/products/${id}`);
    expect(answer.status).toBe(404);
    expect(String(answer.body.detail)).toContain(`product ${id} does not exist`);
  });

  it('refuses to start with a route that matches the same requests as another, naming both', async () => {
    const second = await createTestEnvironment();
    try {
      await expect(second.start({ extraFunctions: [extra('get-product-by-sku', 'GET /catalog/products/{sku}', {})] })).rejects.toThrow(
        /catalog-get-product.*catalog-get-product-by-sku|catalog-get-product-by-sku.*catalog-get-product/,
      );
    } finally {
      await second.dispose();
    }
  });
});
