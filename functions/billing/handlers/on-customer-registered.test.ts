import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerRegistered, emailVerified } from '../../../events/customer.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { eventsNamed, givenClient, givenRegistered, givenSent, registration, rejectedBy, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/create-invoice',
  'billing/commands/send-invoice',
  'billing/queries/get-client',
  'billing/queries/list-invoices',
  'billing/queries/get-invoice',
  'billing/handlers/on-customer-registered',
  'billing/handlers/on-email-verified',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const HANDLER = 'billing/handlers/on-customer-registered';
const deliver = (data: Record<string, unknown>, id?: string) =>
  api.deliver(HANDLER, { type: customerRegistered.type, subject: String(data.customerId), data, ...(id ? { id } : {}) });
const clientsWithEmail = (email: string) =>
  db.query<{ id: string; customer_id: string | null }>('SELECT id, customer_id FROM billing.clients WHERE lower(email) = lower($1)', [email]);

describe('customer-registered', () => {
  it("makes the customer's client: the customer's id, name and email, linked to them, and client-created", async () => {
    const customer = registration({ name: 'Zoë 北京 🚀', email: 'Zoe.Martin@Example.test' });

    const response = await deliver(customer);

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    const client = await api.request('GET', `/billing/clients/${customer.customerId}`, { token: admin });
    expect(client.body).toEqual({
      id: customer.customerId,
      name: 'Zoë 北京 🚀',
      email: 'Zoe.Martin@Example.test',
      phone: null,
      address: null,
      customerId: customer.customerId,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: client.body.createdAt,
    });
    const events = (await eventsNamed('client-created')).filter((e) => e.subject === customer.customerId);
    expect(events.map((e) => e.data)).toEqual([
      { clientId: customer.customerId, name: 'Zoë 北京 🚀', email: 'Zoe.Martin@Example.test', phone: null, address: null },
    ]);
  });

  it('has no second effect when the same event is delivered again, nor when the customer is announced twice', async () => {
    const customer = registration();
    const id = randomUUID();
    await deliver(customer, id);

    expect((await deliver(customer, id)).status).toBe(204);
    expect((await deliver({ ...customer, name: 'Someone Else' })).status).toBe(204);

    expect(await clientsWithEmail(customer.email)).toEqual([{ id: customer.customerId, customer_id: customer.customerId }]);
    expect((await eventsNamed('client-created')).filter((e) => e.subject === customer.customerId)).toHaveLength(1);
    expect((await eventsNamed('client-updated')).filter((e) => e.subject === customer.customerId)).toEqual([]);
    const client = await api.request('GET', `/billing/clients/${customer.customerId}`, { token: admin });
    expect(client.body).toMatchObject({ name: customer.name, version: 1 });
  });

  it("links the client an admin made with the customer's email, in any case, when the email is verified, and says client-updated", async () => {
    const made = await givenClient(api, admin, { name: 'Acme SARL', email: 'Buyer@Acme.test', phone: '+33 1 23 45 67 89' });
    const customer = registration({ email: 'buyer@acme.test', name: 'Bob Buyer', emailVerified: true });

    const response = await deliver(customer);

    expect(response.status).toBe(204);
    expect(await clientsWithEmail('buyer@acme.test')).toEqual([{ id: made.id, customer_id: customer.customerId }]);
    const client = await api.request('GET', `/billing/clients/${made.id}`, { token: admin });
    expect(client.body).toEqual({
      ...made,
      name: 'Bob Buyer',
      email: 'buyer@acme.test',
      customerId: customer.customerId,
      version: 2,
      updatedAt: expect.any(String),
    });
    expect((await eventsNamed('client-updated')).filter((e) => e.subject === made.id).map((e) => e.data)).toEqual([
      {
        clientId: made.id,
        name: 'Bob Buyer',
        email: 'buyer@acme.test',
        phone: '+33 1 23 45 67 89',
        address: null,
        changed: ['name', 'email'],
      },
    ]);
    expect((await eventsNamed('client-created')).filter((e) => e.subject === customer.customerId)).toEqual([]);
  });

  it("lets the customer of a linked client see that client's invoices, by their own id or the client's, and no one else's", async () => {
    const made = await givenClient(api, admin);
    const other = await givenClient(api, admin);
    const earlier = await givenSent(api, admin, made.id);
    const others = await givenSent(api, admin, other.id);
    const customer = registration({ email: made.email, emailVerified: true });
    await givenRegistered(api, customer);
    const token = await tokenFor('customer', customer.customerId);

    for (const query of [`?clientId=${customer.customerId}`, `?clientId=${made.id}`, '']) {
      const response = await api.request('GET', `/billing/invoices${query}`, { token });
      expect(response.status, query).toBe(200);
      expect(
        response.body.items.map((i: { id: string }) => i.id),
        query,
      ).toEqual([earlier.id]);
    }
    expect((await api.request('GET', `/billing/invoices?clientId=${other.id}`, { token })).status).toBe(403);
    expect((await api.request('GET', `/billing/invoices/${earlier.id}`, { token })).status).toBe(200);
    expect((await api.request('GET', `/billing/invoices/${others.id}`, { token })).status).toBe(404);
  });

  it("links an unverified customer to nothing: the admin's client with that email and its invoices stay out of reach", async () => {
    const made = await givenClient(api, admin);
    const invoice = await givenSent(api, admin, made.id);
    const stranger = registration({ email: made.email.toUpperCase() });

    expect((await deliver(stranger)).status).toBe(204);

    expect(await clientsWithEmail(made.email)).toEqual([{ id: made.id, customer_id: null }]);
    const token = await tokenFor('customer', stranger.customerId);
    expect((await api.request('GET', `/billing/invoices/${invoice.id}`, { token })).status).toBe(404);
    expect([403, 404]).toContain((await api.request('GET', `/billing/clients/${made.id}`, { token })).status);
    const listed = await api.request('GET', '/billing/invoices', { token });
    expect(listed.body?.items ?? []).toEqual([]);
  });

  it('links the client once the customer verifies the email (email-verified), and only then', async () => {
    const made = await givenClient(api, admin);
    const invoice = await givenSent(api, admin, made.id);
    const customer = registration({ email: made.email });
    await givenRegistered(api, customer);

    const verified = await api.deliver('billing/handlers/on-email-verified', {
      type: emailVerified.type,
      subject: customer.customerId,
      data: { customerId: customer.customerId, email: customer.email, name: customer.name },
    });

    expect(verified.status, verified.text).toBe(204);
    expect(await clientsWithEmail(made.email)).toEqual([{ id: made.id, customer_id: customer.customerId }]);
    const token = await tokenFor('customer', customer.customerId);
    expect((await api.request('GET', `/billing/invoices/${invoice.id}`, { token })).status).toBe(200);
  });

  it('links nothing, and still answers 204, when the email is that of a client linked to another customer', async () => {
    const first = registration();
    await givenRegistered(api, first);
    const before = await outboxCount();
    const second = registration({ email: first.email.toUpperCase() });

    const response = await deliver(second);

    expect(response.status).toBe(204);
    expect(await clientsWithEmail(first.email)).toEqual([{ id: first.customerId, customer_id: first.customerId }]);
    expect(await db.query('SELECT id FROM billing.clients WHERE id = $1 OR customer_id = $1', [second.customerId])).toEqual([]);
    expect(await outboxCount()).toBe(before);
    expect(await rejectedBy(db, 'billing-on-customer-registered')).toEqual([]);
  });

  it('refuses invalid data for good with 422, keeps the event with the reason, and changes nothing', async () => {
    const id = randomUUID();
    const customerId = randomUUID();

    const response = await deliver({ customerId, email: 'not an email', role: 'customer' }, id);

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/email', '/name']);
    const rejected = (await rejectedBy(db, 'billing-on-customer-registered')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: customerRegistered.type, reason: expect.stringContaining('/email') }]);
    expect(await db.query('SELECT id FROM billing.clients WHERE id = $1', [customerId])).toEqual([]);
  });
});

const outboxCount = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM billing.outbox'))[0]?.n;
