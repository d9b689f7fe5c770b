import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { register } from '../runtime/registry.js';
import { inventoryFunctions } from './index.js';

const root = new URL('.', import.meta.url);
const sources = ['commands', 'queries', 'handlers'].flatMap((folder) =>
  readdirSync(new URL(folder, root))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => `inventory/${folder}/${file.replace(/\.ts$/, '')}`),
);

describe('inventoryFunctions', () => {
  it('holds every function module of Inventory, each registered under its name', () => {
    expect(Object.keys(inventoryFunctions).sort()).toEqual(sources.sort());
    expect(register(inventoryFunctions).map((fn) => [fn.name, fn.definition.kind])).toEqual([
      ['inventory-get-item', 'query'],
      ['inventory-receive-stock', 'command'],
      ['inventory-take-stock', 'command'],
      ['inventory-on-product-created', 'handler'],
      ['inventory-on-order-placed', 'handler'],
      ['inventory-on-order-cancelled', 'handler'],
      ['inventory-on-order-shipped', 'handler'],
      ['inventory-relay-outbox', 'handler'],
    ]);
  });
});
