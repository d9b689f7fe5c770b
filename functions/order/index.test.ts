import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { register } from '../runtime/registry.js';
import { orderFunctions } from './index.js';

const root = new URL('.', import.meta.url);
const sources = ['commands', 'queries', 'handlers'].flatMap((folder) =>
  readdirSync(new URL(folder, root))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => `order/${folder}/${file.replace(/\.ts$/, '')}`),
);

describe('orderFunctions', () => {
  it('holds every function module of Order, each registered under its name', () => {
    expect(Object.keys(orderFunctions).sort()).toEqual(sources.sort());
    const registered = register(orderFunctions);
    expect(registered.map((fn) => [fn.name, fn.definition.kind])).toEqual([
      ['order-create-cart', 'command'],
      ['order-get-cart', 'query'],
      ['order-set-cart-item', 'command'],
      ['order-remove-cart-item', 'command'],
      ['order-checkout', 'command'],
      ['order-get-order', 'query'],
      ['order-list-orders', 'query'],
      ['order-get-order-events', 'query'],
      ['order-cancel-order', 'command'],
      ['order-rebuild-projections', 'command'],
      ['order-on-stock-reserved', 'handler'],
      ['order-on-stock-reservation-failed', 'handler'],
      ['order-on-invoice-created', 'handler'],
      ['order-on-invoice-status-changed', 'handler'],
      ['order-on-shipment-dispatched', 'handler'],
      ['order-on-shipment-delivered', 'handler'],
      ['order-sweep-deadlines', 'handler'],
      ['order-expire-carts', 'handler'],
      ['order-relay-outbox', 'handler'],
    ]);
  });

  it('consumes the saga events of Inventory, Billing and Shipping, and schedules its sweeps', () => {
    const triggers = Object.fromEntries(
      register(orderFunctions)
        .filter((fn) => fn.definition.kind === 'handler')
        .map((fn) => {
          const def = fn.definition as { event?: { type: string }; schedule?: { cron: string; env?: string } };
          return [fn.name, def.event?.type ?? def.schedule];
        }),
    );
    expect(triggers).toEqual({
      'order-on-stock-reserved': 'com.gotuto.inventory.stock-reserved.v1',
      'order-on-stock-reservation-failed': 'com.gotuto.inventory.stock-reservation-failed.v1',
      'order-on-invoice-created': 'com.gotuto.billing.invoice-created.v1',
      'order-on-invoice-status-changed': 'com.gotuto.billing.invoice-status-changed.v1',
      'order-on-shipment-dispatched': 'com.gotuto.shipping.shipment-dispatched.v1',
      'order-on-shipment-delivered': 'com.gotuto.shipping.shipment-delivered.v1',
      'order-sweep-deadlines': { cron: '* * * * *', env: 'SAGA_SWEEP_SCHEDULE' },
      'order-expire-carts': { cron: '* * * * *', env: 'CART_EXPIRY_SCHEDULE' },
      'order-relay-outbox': { cron: '* * * * *', env: 'OUTBOX_RELAY_SCHEDULE' },
    });
  });
});
