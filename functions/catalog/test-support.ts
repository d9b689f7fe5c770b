// Shared steps of Catalog's function tests: the functions started by path, requests that set up
// categories and products through the functions themselves, and the outbox read by event name.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ReceivedEvent } from '../../events/index.js';
import { register } from '../runtime/registry.js';
import { functionsAt, outboxEvents, startFunctions, type TestApi } from '../runtime/testing.js';
import { catalogFunctions } from './index.js';

const registered = register(catalogFunctions);

/** Starts Catalog functions by path (`catalog/commands/create-product`) for this test file. */
export const startCatalog = (paths: Array<keyof typeof catalogFunctions>): TestApi => startFunctions(functionsAt(registered, paths));

export const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** POST /catalog/categories, expecting 201; the created category. */
export const givenCategory = async (api: TestApi, token: string, overrides: Record<string, unknown> = {}) => {
  const response = await api.request('POST', '/catalog/categories', { token, body: { name: `Category ${randomUUID().slice(0, 8)}`, ...overrides } });
  expect(response.status, response.text).toBe(201);
  return response.body;
};

export const productBody = (categoryId: string, overrides: Record<string, unknown> = {}) => ({
  name: 'Espresso Beans 1 kg',
  sku: `SKU-${randomUUID()}`,
  price: eur(2490),
  categoryId,
  ...overrides,
});

/** POST /catalog/products, expecting 201; the created product. */
export const givenProduct = async (api: TestApi, token: string, categoryId: string, overrides: Record<string, unknown> = {}) => {
  const response = await api.request('POST', '/catalog/products', { token, body: productBody(categoryId, overrides) });
  expect(response.status, response.text).toBe(201);
  return response.body;
};

/** Catalog's committed events named `name` (e.g. `product-created`), oldest first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const eventsNamed = async (name: string): Promise<ReceivedEvent<any>[]> =>
  (await outboxEvents('catalog')).filter((event) => event.type === `com.gotuto.catalog.${name}.v1`);

/** Catalog's committed events about one aggregate, as `name` strings, oldest first. */
export const eventNamesAbout = async (subject: string): Promise<string[]> =>
  (await outboxEvents('catalog')).filter((event) => event.subject === subject).map((event) => event.type.replace(/^com\.gotuto\.catalog\.(.*)\.v1$/, '$1'));

export const SQL_LOOKING = "'); DROP TABLE catalog.products;--";
export const UNICODE = 'Zoë 北京 🚀';
export const UNKNOWN_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
