import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerUpdated } from '../../../events/customer.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { eventsNamed, givenClient, givenRegistered, registration, rejectedBy, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/update-client',
  'billing/queries/get-client',
  'billing/handlers/on-customer-registered',
  'billing/handlers/on-customer-updated',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const HANDLER = 'billing/handlers/on-customer-updated';
const deliver = (data: Record<string, unknown>, id?: string) =>
  api.deliver(HANDLER, { type: customerUpdated.type, subject: String(data.customerId), data, ...(id ? { id } : {}) });
const clientOf = async (id: string) => (await api.request('GET', `/billing/clients/${id}`, { token: admin })).body;
const updatesOf = async (clientId: string) => (await eventsNamed('client-updated')).filter((e) => e.subject === clientId);

const address = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

describe('customer-updated', () => {
  it("puts the customer's new details on their client and says what changed in client-updated", async () => {
    const customer = registration();
    await givenRegistered(api, customer);
    const update = { customerId: customer.customerId, email: 'zoe@new.test', name: customer.name, phone: '+33 6 12 34 56 78', address };

    const response = await deliver(update);

    expect(response.status).toBe(204);
    expect(await clientOf(customer.customerId)).toMatchObject({
      id: customer.customerId,
      name: customer.name,
      email: 'zoe@new.test',
      phone: '+33 6 12 34 56 78',
      address,
      customerId: customer.customerId,
      version: 2,
    });
    expect((await updatesOf(customer.customerId)).map((e) => e.data)).toEqual([
      {
        clientId: customer.customerId,
        name: customer.name,
        email: 'zoe@new.test',
        phone: '+33 6 12 34 56 78',
        address,
        changed: ['email', 'phone', 'address'],
      },
    ]);
  });

  it('leaves phone and address when the event has none, and clears them when it says null', async () => {
    const customer = registration();
    await givenRegistered(api, customer);
    await deliver({ customerId: customer.customerId, email: customer.email, name: customer.name, phone: '+1 555', address });

    await deliver({ customerId: customer.customerId, email: customer.email, name: 'Renamed' });
    expect(await clientOf(customer.customerId)).toMatchObject({ name: 'Renamed', phone: '+1 555', address, version: 3 });

    await deliver({ customerId: customer.customerId, email: customer.email, name: 'Renamed', phone: null, address: null });
    expect(await clientOf(customer.customerId)).toMatchObject({ phone: null, address: null, version: 4 });
    expect((await updatesOf(customer.customerId)).map((e) => e.data.changed)).toEqual([['phone', 'address'], ['name'], ['phone', 'address']]);
  });

  it('changes nothing, and says nothing, when the details are those the client has', async () => {
    const customer = registration();
    await givenRegistered(api, customer);

    const response = await deliver({ customerId: customer.customerId, email: customer.email, name: customer.name });

    expect(response.status).toBe(204);
    expect(await clientOf(customer.customerId)).toMatchObject({ version: 1 });
    expect(await updatesOf(customer.customerId)).toEqual([]);
  });

  it('updates the client an admin made and the customer (email verified) was linked to', async () => {
    const made = await givenClient(api, admin);
    const customer = registration({ email: made.email, emailVerified: true });
    await givenRegistered(api, customer);

    expect((await deliver({ customerId: customer.customerId, email: 'moved@example.test', name: 'Moved' })).status).toBe(204);

    expect(await clientOf(made.id)).toMatchObject({ id: made.id, customerId: customer.customerId, email: 'moved@example.test', name: 'Moved' });
    expect(await db.query('SELECT id FROM billing.clients WHERE id = $1', [customer.customerId])).toEqual([]);
  });

  it('has no second effect when the same event is delivered again', async () => {
    const customer = registration();
    await givenRegistered(api, customer);
    const id = randomUUID();
    await deliver({ customerId: customer.customerId, email: customer.email, name: 'From the customer' }, id);
    const patched = await api.request('PATCH', `/billing/clients/${customer.customerId}`, { token: admin, body: { name: 'From an admin' } });
    expect(patched.status).toBe(200);

    const again = await deliver({ customerId: customer.customerId, email: customer.email, name: 'From the customer' }, id);

    expect(again.status).toBe(204);
    expect(await clientOf(customer.customerId)).toMatchObject({ name: 'From an admin', version: 3 });
    expect(await updatesOf(customer.customerId)).toHaveLength(2);
  });

  it('answers 404, which the broker retries, before Billing has seen the registration; the retry then applies', async () => {
    const customer = registration();
    const id = randomUUID();
    const update = { customerId: customer.customerId, email: customer.email, name: 'Early' };

    const early = await deliver(update, id);

    expect(early.status).toBe(404);
    expect(await rejectedBy(db, 'billing-on-customer-updated')).toEqual([]);
    await givenRegistered(api, customer);
    expect((await deliver(update, id)).status).toBe(204);
    expect(await clientOf(customer.customerId)).toMatchObject({ name: 'Early', version: 2 });
  });

  it("answers 409, retried, when the new email is another client's, and changes nothing", async () => {
    const other = await givenClient(api, admin);
    const customer = registration();
    await givenRegistered(api, customer);

    const response = await deliver({ customerId: customer.customerId, email: other.email.toUpperCase(), name: 'Clash' });

    expect(response.status).toBe(409);
    expect(await clientOf(customer.customerId)).toMatchObject({ name: customer.name, email: customer.email, version: 1 });
  });

  it('refuses invalid data for good with 422 and keeps the event with the reason', async () => {
    const id = randomUUID();

    const response = await deliver({ customerId: 'not-a-uuid', email: 'a@b.test', name: 'X', phone: 42 }, id);

    expect(response.status).toBe(422);
    const rejected = (await rejectedBy(db, 'billing-on-customer-updated')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: customerUpdated.type, reason: expect.stringContaining('/customerId') }]);
  });
});
