// The shared events package: every event type of the platform, the TypeScript type of its data,
// its JSON Schema, and the helpers that build CloudEvents and read them back. A context's event
// module imports from ./core.js, never from this index.
export * from './core.js';
export * from './cloudevents.js';
export * from './json.js';
export * from './kafka.js';
export * as billing from './billing.js';
export * as catalog from './catalog.js';
export * as customer from './customer.js';
export * as order from './order.js';
export * as inventory from './inventory.js';
export * as shipping from './shipping.js';
