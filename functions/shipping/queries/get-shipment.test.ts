import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { address, givenDispatched, givenShipment, startShipping } from '../test-support.js';

useTestDatabase(['shipping']);
const api = startShipping(['shipping/queries/get-shipment', 'shipping/commands/dispatch-shipment', 'shipping/handlers/on-order-paid']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

describe('GET /shipping/shipments/{id}', () => {
  it('answers an admin with the whole shipment and its ETag', async () => {
    const { order, shipmentId } = await givenDispatched(api, admin);

    const response = await api.request('GET', `/shipping/shipments/${shipmentId}`, { token: admin });

    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"2"');
    expect(response.body).toEqual({
      id: shipmentId,
      orderId: order.orderId,
      orderNumber: order.orderNumber,
      customerId: order.customerId,
      status: 'dispatched',
      lines: order.lines.map(({ productId, name, quantity }) => ({ productId, name, quantity })),
      shippingAddress: address,
      carrier: 'DHL',
      trackingNumber: 'JD014600006281230704',
      dispatchedAt: expect.any(String),
      deliveredAt: null,
      cancelledAt: null,
      history: [
        { status: 'preparing', at: response.body.createdAt },
        { status: 'dispatched', at: response.body.dispatchedAt },
      ],
      version: 2,
      createdAt: expect.any(String),
      updatedAt: response.body.dispatchedAt,
    });
  });

  it('answers 404 to an unknown shipment and to an id that is not a UUID', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', "1' OR '1'='1"]) {
      const response = await api.request('GET', `/shipping/shipments/${encodeURIComponent(id)}`, { token: admin });
      expect(response.status, id).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('is for admins: 401 without a token, 403 for a customer, even the one it is for', async () => {
    const { order, shipmentId } = await givenShipment(api);

    expect((await api.request('GET', `/shipping/shipments/${shipmentId}`)).status).toBe(401);
    expect((await api.request('GET', `/shipping/shipments/${shipmentId}`, { token: await tokenFor('customer', order.customerId) })).status).toBe(403);
  });
});
