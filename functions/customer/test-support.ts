// Shared steps of Customer's function tests: the context's functions as the runtime registers
// them, accounts made through the functions themselves, and the outbox read by event name.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ReceivedEvent } from '../../events/index.js';
import type { RegisteredFunction } from '../runtime/definition.js';
import { register } from '../runtime/registry.js';
import { outboxEvents, type TestApi } from '../runtime/testing.js';
import { customerFunctions } from './index.js';

const registered = register(customerFunctions);

/** The registered function at a path under functions/, e.g. `customer/commands/login`. */
export const customerFunction = (path: keyof typeof customerFunctions): RegisteredFunction => {
  const fn = registered.find((f) => f.path === path);
  if (!fn) throw new Error(`no Customer function at ${path}`);
  return fn;
};

export const PASSWORD = 'correct horse battery staple';

export const registration = (overrides: Record<string, unknown> = {}) => ({
  email: `shopper-${randomUUID()}@example.test`,
  password: PASSWORD,
  name: 'Ada Lovelace',
  ...overrides,
});

/** POST /customers/register, expecting 201; the new customer. */
export const givenCustomer = async (api: TestApi, overrides: Record<string, unknown> = {}) => {
  const response = await api.request('POST', '/customers/register', { body: registration(overrides) });
  expect(response.status, response.text).toBe(201);
  return response.body;
};

/** POST /customers/login, expecting 200; the access token. */
export const givenToken = async (api: TestApi, email: string, password = PASSWORD): Promise<string> => {
  const response = await api.request('POST', '/customers/login', { body: { email, password } });
  expect(response.status, response.text).toBe(200);
  return response.body.accessToken;
};

/** Customer's committed events named `name` (e.g. `customer-registered`), oldest first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const eventsNamed = async (name: string): Promise<ReceivedEvent<any>[]> =>
  (await outboxEvents('customer')).filter((event) => event.type === `com.gotuto.customer.${name}.v1`);

export const SQL_LOOKING = "'); DROP TABLE customer.customers;--";
export const UNICODE = 'Zoë 北京 🚀';

/** Runs `work` with environment variables set, then puts them back as they were. */
export const withEnv = async <T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> => {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
};
