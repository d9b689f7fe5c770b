import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import {
  HANDLERS,
  aCustomer,
  eventNamesAbout,
  eventsNamed,
  givenOrder,
  givenOrderAt,
  orderOf,
  orderRegistry,
  sagaEvents,
  useTestCatalog,
} from '../test-support.js';

useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);
const saga = sagaEvents(api);

// The functions run in this process, so their clock (ctx.now()) is the one set here.
const T0 = new Date('2026-06-10T12:00:00.000Z');
const at = (seconds: number) => vi.setSystemTime(new Date(T0.getTime() + seconds * 1000));
let customer: { id: string; token: string };
beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  customer = await aCustomer();
});
beforeEach(() => {
  at(0);
});
afterEach(() => {
  delete process.env.SAGA_STEP_TIMEOUT;
});
afterAll(() => {
  vi.useRealTimers();
});

const sweep = async () => {
  const response = await api.tick(HANDLERS.sweep);
  expect(response.status, response.text).toBe(204);
};
const cancellationOf = async (orderId: string) => (await eventsNamed('order-cancelled')).filter((e) => e.subject === orderId).map((e) => e.data);

describe('the saga deadline sweep', () => {
  it('cancels an order whose stock reservation did not come within SAGA_STEP_TIMEOUT (30 s), naming the step', async () => {
    const { orderId, number } = await givenOrder(api, shop, customer);

    at(29.999);
    await sweep();
    expect((await orderOf(api, customer.token, orderId)).status).toBe('pending');

    at(30);
    await sweep();
    const reason = 'saga step reserving-stock timed out: no stock reservation from Inventory by 2026-06-10T12:00:30.000Z';
    expect(await cancellationOf(orderId)).toEqual([
      { orderId, orderNumber: number, customerId: customer.id, reason, cancelledBy: 'saga', completedSteps: ['placed'] },
    ]);
    const order = await orderOf(api, customer.token, orderId);
    expect(order).toMatchObject({ status: 'cancelled', saga: { step: 'cancelled' }, cancellation: { reason, by: 'saga' } });
    expect(order.history.at(-1)).toEqual({ status: 'cancelled', at: '2026-06-10T12:00:30.000Z', reason });

    // The reservation comes late: nothing happens, and Inventory releases it on order-cancelled.
    expect((await saga.stockReserved(orderId)).status).toBe(204);
    expect(await eventNamesAbout(orderId)).toEqual(['order-placed', 'order-cancelled']);
  });

  it('counts the invoice step from the reservation, and names it when it times out', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    at(10);
    await saga.stockReserved(orderId);

    at(39);
    await sweep();
    expect((await orderOf(api, customer.token, orderId)).saga).toMatchObject({ step: 'invoicing', deadline: '2026-06-10T12:00:40.000Z' });

    at(41);
    await sweep();
    const [cancelled] = await cancellationOf(orderId);
    expect(cancelled).toMatchObject({
      reason: 'saga step invoicing timed out: no invoice from Billing by 2026-06-10T12:00:40.000Z',
      cancelledBy: 'saga',
      completedSteps: ['placed', 'stock-reserved', 'invoice-requested'],
    });
    // The invoice comes late: Billing cancels it on order-cancelled; Order does nothing.
    expect((await saga.invoiceCreated(orderId, randomUUID())).status).toBe(204);
    expect((await orderOf(api, customer.token, orderId)).status).toBe('cancelled');
  });

  it('takes SAGA_STEP_TIMEOUT from the environment when the step begins', async () => {
    process.env.SAGA_STEP_TIMEOUT = '5';
    const { orderId } = await givenOrder(api, shop, customer);
    delete process.env.SAGA_STEP_TIMEOUT;

    at(5);
    await sweep();

    expect((await orderOf(api, customer.token, orderId)).status).toBe('cancelled');
  });

  it('never cancels an order waiting for its payment or its shipment, nor one finished, and does nothing twice', async () => {
    const confirmed = await givenOrderAt(api, shop, customer, 'confirmed');
    const processing = await givenOrderAt(api, shop, customer, 'processing');
    const delivered = await givenOrderAt(api, shop, customer, 'delivered');
    const late = await givenOrder(api, shop, customer);

    at(100_000);
    await sweep();
    await sweep();

    expect((await orderOf(api, customer.token, confirmed.orderId)).status).toBe('confirmed');
    expect((await orderOf(api, customer.token, processing.orderId)).status).toBe('processing');
    expect((await orderOf(api, customer.token, delivered.orderId)).status).toBe('delivered');
    expect(await cancellationOf(late.orderId)).toHaveLength(1);
  });
});
