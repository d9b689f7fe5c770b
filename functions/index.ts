// The registry: every function of the platform, keyed by its source path under functions/.
// The build, the manifests and the local platform all read this one list; the local platform also
// serves the functions that exist only there.
import { isLocalOnly } from './runtime/definition.js';
import { register } from './runtime/registry.js';
import { billingFunctions } from './billing/index.js';
import { deadLettersWaiting, platformFunctions } from './platform/index.js';
import { catalogFunctions } from './catalog/index.js';
import { customerFunctions } from './customer/index.js';
import { inventoryFunctions } from './inventory/index.js';
import { orderFunctions } from './order/index.js';
import { shippingFunctions } from './shipping/index.js';
import { notificationFunctions } from './notification/index.js';

const all = register({
  ...billingFunctions,
  ...platformFunctions,
  ...catalogFunctions,
  ...customerFunctions,
  ...inventoryFunctions,
  ...orderFunctions,
  ...shippingFunctions,
  ...notificationFunctions,
});

/** Every function deployed as a Knative Service (knative/base is generated from this list). */
export const registry = all.filter((fn) => !isLocalOnly(fn));

/** Functions only the local platform serves: views of its own broker. */
export const localOnlyFunctions = all.filter(isLocalOnly);

export { deadLettersWaiting };
