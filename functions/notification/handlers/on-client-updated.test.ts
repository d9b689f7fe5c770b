import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import {
  changeInvoiceStatus,
  clientUpdate,
  givenClient,
  invoiceStatusChange,
  settled,
  startNotification,
  updateClient,
  useSmtpServer,
} from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification([
  'notification/handlers/on-client-created',
  'notification/handlers/on-client-updated',
  'notification/handlers/on-invoice-status-changed',
]);

const secondsFromNow = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

describe('client-updated', () => {
  it("changes the client's contact: the next invoice goes to the new address", async () => {
    const client = await givenClient(api);
    const newAddress = `accounts.${randomUUID().slice(0, 8)}@acme.test`;

    const response = await updateClient(api, clientUpdate(client.clientId, { email: newAddress, name: 'Acme Group' }), { time: secondsFromNow(1) });
    await changeInvoiceStatus(api, invoiceStatusChange(client.clientId));
    await settled();

    expect(response.status).toBe(204);
    expect(smtp.to(client.email)).toEqual([]);
    const [mail] = smtp.to(newAddress);
    expect(mail?.text).toMatch(/^Hello Acme Group,/);
  });

  it('makes a contact of a client Notification had not heard of (the event is a full snapshot)', async () => {
    const clientId = randomUUID();

    expect((await updateClient(api, clientUpdate(clientId, { name: 'Late Ltd' }))).status).toBe(204);

    expect(await db.query('SELECT kind, name FROM notification.contacts WHERE id = $1', [clientId])).toEqual([{ kind: 'client', name: 'Late Ltd' }]);
  });

  it('keeps what a later event said when an older one arrives late', async () => {
    const client = await givenClient(api);

    await updateClient(api, clientUpdate(client.clientId, { name: 'Newest' }), { time: secondsFromNow(20) });
    await updateClient(api, clientUpdate(client.clientId, { name: 'Older' }), { time: secondsFromNow(10) });

    expect(await db.query('SELECT name FROM notification.contacts WHERE id = $1', [client.clientId])).toEqual([{ name: 'Newest' }]);
  });
});
