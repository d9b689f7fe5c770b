-- A customer's client: Billing makes one when a customer registers, or links the client an admin
-- had already made with the customer's email. customer_id names the customer a client belongs
-- to; null for a client only an admin knows. A customer has at most one client.
ALTER TABLE billing.clients ADD COLUMN customer_id uuid UNIQUE;
