import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { orderShipped } from '../../../events/order.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  eventNamesAbout,
  eventsNamed,
  givenItem,
  orderPlacement,
  orderShipment,
  placeOrder,
  rejectedBy,
  reservationsOf,
  shipOrder,
  startInventory,
  stockOf,
} from '../test-support.js';

const db = useTestDatabase(['inventory']);
const api = startInventory([
  'inventory/queries/get-item',
  'inventory/commands/receive-stock',
  'inventory/handlers/on-product-created',
  'inventory/handlers/on-order-placed',
  'inventory/handlers/on-order-shipped',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

/** Two products with 10 and 5 on hand (1 of the first held by another order), and an order holding 3 and 5. */
const aReservedOrder = async () => {
  const beans = await givenItem(api, admin, 10);
  const mugs = await givenItem(api, admin, 5);
  await placeOrder(api, orderPlacement([{ productId: beans, quantity: 1 }]));
  const order = orderPlacement([
    { productId: beans, quantity: 3 },
    { productId: mugs, quantity: 5 },
  ]);
  expect((await placeOrder(api, order)).status).toBe(204);
  const lines = [
    { productId: beans, quantity: 3 },
    { productId: mugs, quantity: 5 },
  ];
  return { beans, mugs, order, lines };
};

describe('order-shipped', () => {
  it("makes the order's reserved stock leave: on hand and reserved both down, reservations shipped, stock-adjusted (shipped) per product", async () => {
    const { beans, mugs, order, lines } = await aReservedOrder();

    const response = await shipOrder(api, orderShipment(order.orderId, lines));

    expect(response.status).toBe(204);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 7, reserved: 1 });
    expect(await stockOf(db, mugs)).toEqual({ on_hand: 0, reserved: 0 });
    expect((await api.request('GET', `/inventory/items/${beans}`)).body).toMatchObject({ onHand: 7, reserved: 1, available: 6 });
    expect((await reservationsOf(db, order.orderId)).map((r) => r.status)).toEqual(['shipped', 'shipped']);
    const shipped = (await eventsNamed('stock-adjusted')).filter((e) => e.data.orderId === order.orderId && e.data.reason === 'shipped');
    expect(shipped.map((e): [string, unknown] => [e.subject, e.data]).sort(([a], [b]) => a.localeCompare(b))).toEqual(
      (
        [
          [beans, { productId: beans, onHand: 7, reserved: 1, available: 6, change: -3, reason: 'shipped', orderId: order.orderId }],
          [mugs, { productId: mugs, onHand: 0, reserved: 0, available: 0, change: -5, reason: 'shipped', orderId: order.orderId }],
        ] as [string, unknown][]
      ).sort(([a], [b]) => a.localeCompare(b)),
    );
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reserved']);
  });

  it('has no second effect when the same event, or another order-shipped of the order, comes again', async () => {
    const { beans, mugs, order, lines } = await aReservedOrder();
    const id = randomUUID();
    await shipOrder(api, orderShipment(order.orderId, lines), id);
    const events = (await eventsNamed('stock-adjusted')).length;

    expect((await shipOrder(api, orderShipment(order.orderId, lines), id)).status).toBe(204);
    expect((await shipOrder(api, orderShipment(order.orderId, lines))).status).toBe(204);

    expect(await stockOf(db, beans)).toEqual({ on_hand: 7, reserved: 1 });
    expect(await stockOf(db, mugs)).toEqual({ on_hand: 0, reserved: 0 });
    expect(await eventsNamed('stock-adjusted')).toHaveLength(events);
  });

  it('changes nothing for an order that holds no stock', async () => {
    const beans = await givenItem(api, admin, 4);
    const events = (await eventsNamed('stock-adjusted')).length;

    const response = await shipOrder(api, orderShipment(randomUUID(), [{ productId: beans, quantity: 1 }]));

    expect(response.status).toBe(204);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 4, reserved: 0 });
    expect(await eventsNamed('stock-adjusted')).toHaveLength(events);
  });

  it('refuses invalid data for good with 422 and keeps the event with the reason', async () => {
    const id = randomUUID();

    const response = await shipOrder(api, orderShipment(randomUUID(), [], { carrier: '' }), id);

    expect(response.status).toBe(422);
    const rejected = (await rejectedBy(db, 'inventory-on-order-shipped')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: orderShipped.type, reason: expect.stringContaining('/carrier') }]);
  });
});
