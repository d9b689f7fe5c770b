import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { register } from '../runtime/registry.js';
import { shippingFunctions } from './index.js';

const root = new URL('.', import.meta.url);
const sources = ['commands', 'queries', 'handlers'].flatMap((folder) =>
  readdirSync(new URL(folder, root))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => `shipping/${folder}/${file.replace(/\.ts$/, '')}`),
);

describe('shippingFunctions', () => {
  it('holds every function module of Shipping, each registered under its name', () => {
    expect(Object.keys(shippingFunctions).sort()).toEqual(sources.sort());
    expect(register(shippingFunctions).map((fn) => [fn.name, fn.definition.kind])).toEqual([
      ['shipping-list-shipments', 'query'],
      ['shipping-get-shipment', 'query'],
      ['shipping-dispatch-shipment', 'command'],
      ['shipping-deliver-shipment', 'command'],
      ['shipping-on-order-paid', 'handler'],
      ['shipping-on-order-cancelled', 'handler'],
      ['shipping-relay-outbox', 'handler'],
    ]);
  });
});
