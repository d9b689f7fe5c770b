import { describe, expect, it } from 'vitest';
import { Conflict } from '../runtime/errors.js';
import { createClient, createCustomerClient, deleteClient, linkToCustomer, updateClient, type Client } from './client.js';

const id = '5b0c2f9e-8a43-4c52-9d35-0e3c1f1a7b10';
const t0 = new Date('2026-03-01T09:00:00.000Z');
const t1 = new Date('2026-03-02T10:30:00.000Z');
const address = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

const given = (): Client => createClient({ name: 'Zoë 北京 🚀', email: 'Zoe@Example.com' }, id, t0)[0];

describe('createClient', () => {
  it('makes version 1 of the client with what it was given, and client-created', () => {
    const [client, events] = createClient({ name: 'Acme', email: 'billing@acme.test', phone: '+33 1 23', address }, id, t0);

    expect(client).toEqual({
      id,
      name: 'Acme',
      email: 'billing@acme.test',
      phone: '+33 1 23',
      address,
      customerId: null,
      version: 1,
      createdAt: t0,
      updatedAt: t0,
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.definition.type).toBe('com.gotuto.billing.client-created.v1');
    expect(events[0]?.subject).toBe(id);
    expect(events[0]?.data).toEqual({ clientId: id, name: 'Acme', email: 'billing@acme.test', phone: '+33 1 23', address });
  });

  it('leaves phone and address null when absent', () => {
    const [client, events] = createClient({ name: 'Acme', email: 'a@acme.test' }, id, t0);

    expect(client.phone).toBeNull();
    expect(client.address).toBeNull();
    expect(events[0]?.data).toMatchObject({ phone: null, address: null });
  });
});

describe('createCustomerClient', () => {
  it("makes the customer's client: the customer's id, name and email, linked to the customer", () => {
    const customer = { customerId: id, name: 'Zoë', email: 'Zoe@Example.com' };

    const [client, events] = createCustomerClient(customer, t0);

    expect(client).toEqual({
      id,
      name: 'Zoë',
      email: 'Zoe@Example.com',
      phone: null,
      address: null,
      customerId: id,
      version: 1,
      createdAt: t0,
      updatedAt: t0,
    });
    expect(events.map((e) => [e.definition.type, e.subject, e.data])).toEqual([
      ['com.gotuto.billing.client-created.v1', id, { clientId: id, name: 'Zoë', email: 'Zoe@Example.com', phone: null, address: null }],
    ]);
  });
});

describe('linkToCustomer', () => {
  const customerId = '9a1b7c3d-2e4f-4a5b-8c6d-7e8f9a0b1c2d';

  it("links an admin's client to the customer, who from then on holds its name and email", () => {
    const [withAddress] = updateClient(given(), { phone: '+33 1 23', address }, t0);

    const [linked, events] = linkToCustomer(withAddress, { customerId, name: 'Zoé Martin', email: 'zoe@example.com' }, t1);

    expect(linked).toEqual({
      ...withAddress,
      name: 'Zoé Martin',
      email: 'zoe@example.com',
      customerId,
      version: 3,
      updatedAt: t1,
    });
    expect(events.map((e) => [e.definition.type, e.subject])).toEqual([['com.gotuto.billing.client-updated.v1', id]]);
    expect(events[0]?.data).toEqual({
      clientId: id,
      name: 'Zoé Martin',
      email: 'zoe@example.com',
      phone: '+33 1 23',
      address,
      changed: ['name', 'email'],
    });
  });

  it('says the link is a change even when name and email are already the customer’s', () => {
    const [linked, events] = linkToCustomer(given(), { customerId, name: 'Zoë 北京 🚀', email: 'Zoe@Example.com' }, t1);

    expect(linked).toMatchObject({ customerId, version: 2 });
    expect(events[0]?.data).toMatchObject({ changed: [] });
  });

  it('changes nothing when the client is already the customer’s', () => {
    const [linked] = linkToCustomer(given(), { customerId, name: 'Zoë', email: 'zoe@example.com' }, t1);

    const [again, events] = linkToCustomer(linked, { customerId, name: 'Other', email: 'zoe@example.com' }, t1);

    expect(again).toBe(linked);
    expect(events).toEqual([]);
  });

  it("refuses a client that is another customer's", () => {
    const [linked] = linkToCustomer(given(), { customerId, name: 'Zoë', email: 'zoe@example.com' }, t1);

    expect(() => linkToCustomer(linked, { customerId: id, name: 'Zoë', email: 'zoe@example.com' }, t1)).toThrow(Conflict);
  });
});

describe('updateClient', () => {
  it('applies the changed fields, bumps the version and says what changed', () => {
    const [client, events] = updateClient(given(), { email: 'zoe@new.test', address }, t1);

    expect(client).toMatchObject({ name: 'Zoë 北京 🚀', email: 'zoe@new.test', address, version: 2, createdAt: t0, updatedAt: t1 });
    expect(events.map((e) => e.definition.type)).toEqual(['com.gotuto.billing.client-updated.v1']);
    expect(events[0]?.data).toEqual({
      clientId: id,
      name: 'Zoë 北京 🚀',
      email: 'zoe@new.test',
      phone: null,
      address,
      changed: ['email', 'address'],
    });
  });

  it('clears phone and address with null', () => {
    const [withBoth] = updateClient(given(), { phone: '+1 555', address }, t1);

    const [cleared, events] = updateClient(withBoth, { phone: null, address: null }, t1);

    expect(cleared).toMatchObject({ phone: null, address: null, version: 3 });
    expect(events[0]?.data).toMatchObject({ changed: ['phone', 'address'] });
  });

  it('changes nothing, not even the version, when every field is as it was', () => {
    const before = given();

    const [after, events] = updateClient(before, { name: before.name, email: before.email, phone: null }, t1);

    expect(after).toBe(before);
    expect(events).toEqual([]);
  });

  it('sees an address with its keys in another order as the same address', () => {
    const [before] = updateClient(given(), { address }, t1);

    const [, events] = updateClient(before, { address: { country: 'FR', postalCode: '75002', city: 'Paris', line1: '1 rue de la Paix' } }, t1);

    expect(events).toEqual([]);
  });

  it('treats a change of case in the email as a change', () => {
    const [after, events] = updateClient(given(), { email: 'zoe@example.com' }, t1);

    expect(after.email).toBe('zoe@example.com');
    expect(events).toHaveLength(1);
  });
});

describe('deleteClient', () => {
  it('emits client-deleted for a client without invoices', () => {
    const events = deleteClient(given(), false);

    expect(events.map((e) => [e.definition.type, e.subject, e.data])).toEqual([['com.gotuto.billing.client-deleted.v1', id, { clientId: id }]]);
  });

  it('refuses while the client has invoices', () => {
    expect(() => deleteClient(given(), true)).toThrow(Conflict);
  });
});
