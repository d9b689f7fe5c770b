// The manifest generator resolves routes by the runtime's one rule: a registry whose routes could
// shadow each other generates nothing, so `npm run knative -- --check` fails on it too.
import { describe, expect, it } from 'vitest';
import { registry } from '../../functions/index.js';
import { query, type RegisteredFunction } from '../../functions/runtime/definition.js';
import { manifestFiles } from './generate.js';

const extra = (name: string, route: string): RegisteredFunction => ({
  name,
  context: 'catalog',
  path: `catalog/queries/${name.replace(/^catalog-/, '')}`,
  definition: query({ route, access: 'public', handle: async () => ({}) }),
});

describe('manifest generation and route precedence', () => {
  it('refuses a registry with two routes that match the same requests, naming both', () => {
    const shadowing = extra('catalog-get-product-by-sku', 'GET /catalog/products/{sku}');
    expect(() => manifestFiles([...registry, shadowing])).toThrow(
      /catalog-get-product\b.*catalog-get-product-by-sku|catalog-get-product-by-sku.*catalog-get-product\b/,
    );
  });

  it('accepts a literal route beside a parameter route, registered after it', () => {
    const files = manifestFiles([...registry, extra('catalog-count-products', 'GET /catalog/products/count')]);
    expect([...files.keys()].some((path) => path.includes('catalog-count-products'))).toBe(true);
  });
});
