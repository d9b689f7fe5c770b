import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import { changeInvoiceStatus, clientCreation, createClient, invoiceStatusChange, settled, startNotification, useSmtpServer } from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification(['notification/handlers/on-client-created', 'notification/handlers/on-invoice-status-changed']);

describe('client-created', () => {
  it("records the client's contact, keyed by the client id, where its invoices then go; it sends nothing itself", async () => {
    const client = clientCreation({ name: 'Acme Ltd' });
    const sentBefore = smtp.accepted.length;

    const response = await createClient(api, client);
    await settled();

    expect(response.status).toBe(204);
    expect(smtp.accepted).toHaveLength(sentBefore);
    expect(await db.query('SELECT kind, email, name FROM notification.contacts WHERE id = $1', [client.clientId])).toEqual([
      { kind: 'client', email: client.email, name: 'Acme Ltd' },
    ]);
    await changeInvoiceStatus(api, invoiceStatusChange(client.clientId));
    await settled();
    expect(smtp.to(client.email)).toHaveLength(1);
  });
});
