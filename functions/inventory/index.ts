// Every Inventory function, keyed by its source path under functions/, for the registry.
import inventoryReceiveStock from './commands/receive-stock.js';
import inventoryTakeStock from './commands/take-stock.js';
import inventoryOnOrderCancelled from './handlers/on-order-cancelled.js';
import inventoryOnOrderPlaced from './handlers/on-order-placed.js';
import inventoryOnOrderShipped from './handlers/on-order-shipped.js';
import inventoryOnProductCreated from './handlers/on-product-created.js';
import inventoryRelayOutbox from './handlers/relay-outbox.js';
import inventoryGetItem from './queries/get-item.js';

export const inventoryFunctions = {
  'inventory/queries/get-item': inventoryGetItem,
  'inventory/commands/receive-stock': inventoryReceiveStock,
  'inventory/commands/take-stock': inventoryTakeStock,
  'inventory/handlers/on-product-created': inventoryOnProductCreated,
  'inventory/handlers/on-order-placed': inventoryOnOrderPlaced,
  'inventory/handlers/on-order-cancelled': inventoryOnOrderCancelled,
  'inventory/handlers/on-order-shipped': inventoryOnOrderShipped,
  'inventory/handlers/relay-outbox': inventoryRelayOutbox,
};
