import { describe, expect, it } from 'vitest';
import { registerCustomer, updateCustomer, type Customer } from './customer.js';

const id = '5b0c2f9e-8a43-4c52-9d35-0e3c1f1a7b10';
const t0 = new Date('2026-03-01T09:00:00.000Z');
const t1 = new Date('2026-03-02T10:30:00.000Z');
const address = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

const given = (): Customer => registerCustomer({ name: 'Zoë 北京 🚀', email: 'Zoe@Example.com' }, id, 'customer', t0)[0];

describe('registerCustomer', () => {
  it('makes version 1 of the account with the email as given, and customer-registered', () => {
    const [customer, events] = registerCustomer({ name: 'Ada', email: 'Ada@Example.test' }, id, 'customer', t0);

    expect(customer).toEqual({
      id,
      email: 'Ada@Example.test',
      name: 'Ada',
      role: 'customer',
      emailVerified: false,
      phone: null,
      address: null,
      version: 1,
      createdAt: t0,
      updatedAt: t0,
    });
    expect(events.map((e) => [e.definition.type, e.subject, e.data])).toEqual([
      ['com.gotuto.customer.customer-registered.v1', id, { customerId: id, email: 'Ada@Example.test', name: 'Ada', role: 'customer', emailVerified: false }],
    ]);
  });

  it('makes an admin when told to', () => {
    const [admin, events] = registerCustomer({ name: 'Root', email: 'root@example.test' }, id, 'admin', t0);

    expect(admin.role).toBe('admin');
    expect(events[0]?.data).toMatchObject({ role: 'admin' });
  });
});

describe('updateCustomer', () => {
  it('applies the changed fields, bumps the version and sends the whole contact snapshot', () => {
    const [customer, events] = updateCustomer(given(), { phone: '+33 1 23 45 67 89', address }, t1);

    expect(customer).toMatchObject({ phone: '+33 1 23 45 67 89', address, version: 2, createdAt: t0, updatedAt: t1 });
    expect(events.map((e) => [e.definition.type, e.subject, e.data])).toEqual([
      [
        'com.gotuto.customer.customer-updated.v1',
        id,
        { customerId: id, email: 'Zoe@Example.com', name: 'Zoë 北京 🚀', phone: '+33 1 23 45 67 89', address, changed: ['phone', 'address'] },
      ],
    ]);
  });

  it('clears phone and address with null', () => {
    const [withBoth] = updateCustomer(given(), { phone: '+1 555 0100', address }, t1);

    const [cleared, events] = updateCustomer(withBoth, { phone: null, address: null }, t1);

    expect(cleared).toMatchObject({ phone: null, address: null, version: 3 });
    expect(events[0]?.data).toMatchObject({ phone: null, address: null, changed: ['phone', 'address'] });
  });

  it('changes nothing, not even the version, when every field is as it was', () => {
    const before = given();

    const [after, events] = updateCustomer(before, { name: before.name, phone: null, address: null }, t1);

    expect(after).toBe(before);
    expect(events).toEqual([]);
  });

  it('sees an address with its keys in another order as the same address', () => {
    const [before] = updateCustomer(given(), { address }, t1);

    const [, events] = updateCustomer(before, { address: { country: 'FR', postalCode: '75002', city: 'Paris', line1: '1 rue de la Paix' } }, t1);

    expect(events).toEqual([]);
  });
});
