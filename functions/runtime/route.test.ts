import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { query } from './definition.js';
import { functionRoutes, register } from './registry.js';
import { outranks, routeTable } from './route.js';
import { startFunctions } from './testing.js';

const answering = (route: string, name: string) => query({ route, access: 'public', handle: async ({ params }) => ({ served: name, params }) });

const count = answering('GET /catalog/products/count', 'count');
const getProduct = answering('GET /catalog/products/{id}', 'get');

const inOrder = register({ 'catalog/queries/get-product': getProduct, 'catalog/queries/count-products': count });
const reversed = register({ 'catalog/queries/count-products': count, 'catalog/queries/get-product': getProduct });

describe('route precedence, whatever the order of registration', () => {
  for (const [order, functions] of [
    ['get-product first', inOrder],
    ['count first', reversed],
  ] as const) {
    describe(order, () => {
      const api = startFunctions([...functions]);

      it('a literal segment wins over a parameter', async () => {
        const res = await api.request('GET', '/catalog/products/count');
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ served: 'count', params: {} });
      });

      it('the parameter route serves every other value', async () => {
        const id = randomUUID();
        const res = await api.request('GET', `/catalog/products/${id}`);
        expect(res.body).toEqual({ served: 'get', params: { id } });
      });
    });
  }

  it('compares segment by segment: the first literal where two routes differ decides', () => {
    const table = (names: string[]) =>
      routeTable(
        names.map((name) => ({ name, route: name })),
        (entry) => entry.route,
      );
    const routes = ['GET /a/{x}/c', 'GET /a/b/{y}', 'GET /{any}/b/c', 'POST /a/b/c'];
    for (const order of [routes, [...routes].reverse()]) {
      const t = table(order);
      expect(t.resolve('GET', '/a/b/c')?.entry.name).toBe('GET /a/b/{y}');
      expect(t.resolve('GET', '/a/z/c')?.entry.name).toBe('GET /a/{x}/c');
      expect(t.resolve('GET', '/z/b/c')?.entry.name).toBe('GET /{any}/b/c');
      expect(t.resolve('post', '/a/b/c')?.entry.name).toBe('POST /a/b/c');
      expect(t.resolve('GET', '/a/b')).toBeUndefined();
      expect(t.routes.map((r) => r.entry.name)).toEqual(['POST /a/b/c', 'GET /a/b/{y}', 'GET /a/{x}/c', 'GET /{any}/b/c']);
    }
  });

  it('a malformed escape in a parameter matches no route instead of failing', () => {
    expect(functionRoutes(inOrder).resolve('GET', '/catalog/products/%E0%A4%A')).toBeUndefined();
  });
});

describe('ambiguous routes', () => {
  const byId = answering('GET /catalog/products/{id}', 'a');
  const bySku = answering('GET /catalog/products/{sku}', 'b');

  it('are refused when the registry loads, in either order, naming both functions', () => {
    for (const modules of [
      { 'catalog/queries/get-product': byId, 'catalog/queries/find-by-sku': bySku },
      { 'catalog/queries/find-by-sku': bySku, 'catalog/queries/get-product': byId },
    ]) {
      expect(() => register(modules)).toThrow(/catalog-get-product/);
      expect(() => register(modules)).toThrow(/catalog-find-by-sku/);
    }
  });

  it('are refused only for the same method', () => {
    const deleteProduct = answering('DELETE /catalog/products/{sku}', 'd');
    expect(register({ 'catalog/queries/get-product': byId, 'catalog/queries/delete-product': deleteProduct })).toHaveLength(2);
  });
});

describe('outranks, the rule as a generator of cluster routes reads it', () => {
  it('puts the route with the literal first, at the first segment where the kinds differ', () => {
    expect(outranks('/catalog/products/count', '/catalog/products/{id}')).toBe(true);
    expect(outranks('/catalog/products/{id}', '/catalog/products/count')).toBe(false);
    expect(outranks('/orders/{id}/events', '/orders/carts/{id}')).toBe(false);
    expect(outranks('/orders/carts/{id}', '/orders/{id}/events')).toBe(true);
  });

  it('ranks neither of two routes of the same shape', () => {
    expect(outranks('/catalog/products/{id}', '/catalog/products/{sku}')).toBe(false);
    expect(outranks('/catalog/products/{sku}', '/catalog/products/{id}')).toBe(false);
  });
});
