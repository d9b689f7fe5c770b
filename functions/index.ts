// The registry: every function of the platform, keyed by its source path under functions/.
// The build, the manifests and the local platform all read this one list.
import { register } from './runtime/registry.js';
import platformDeadLetters from './platform/handlers/dead-letters.js';
import { billingFunctions } from './billing/index.js';
import { catalogFunctions } from './catalog/index.js';
import { customerFunctions } from './customer/index.js';
import { inventoryFunctions } from './inventory/index.js';
import { orderFunctions } from './order/index.js';
import { shippingFunctions } from './shipping/index.js';
import { notificationFunctions } from './notification/index.js';

export const registry = register({
  ...billingFunctions,
  'platform/handlers/dead-letters': platformDeadLetters,
  ...catalogFunctions,
  ...customerFunctions,
  ...inventoryFunctions,
  ...orderFunctions,
  ...shippingFunctions,
  ...notificationFunctions,
});
