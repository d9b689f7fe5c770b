// Inventory's events: reservations per order (the saga's second step) and stock changes.
import stockAdjustedSchema from '../schemas/events/inventory/stock-adjusted.v1.json' with { type: 'json' };
import stockReleasedSchema from '../schemas/events/inventory/stock-released.v1.json' with { type: 'json' };
import stockReservationFailedSchema from '../schemas/events/inventory/stock-reservation-failed.v1.json' with { type: 'json' };
import stockReservedSchema from '../schemas/events/inventory/stock-reserved.v1.json' with { type: 'json' };
import type {
  EventsInventoryStockAdjustedV1,
  EventsInventoryStockReleasedV1,
  EventsInventoryStockReservationFailedV1,
  EventsInventoryStockReservedV1,
} from './schemas.generated.js';
import { defineEvent } from './core.js';

export interface StockLine {
  productId: string;
  quantity: number;
}

/** Subject: the order id. */
export type StockReserved = EventsInventoryStockReservedV1;
export const stockReserved = defineEvent<StockReserved>('inventory', 'stock-reserved', 1, stockReservedSchema);

/** Subject: the order id. Nothing was reserved; `products` names each line that could not be. */
export type StockReservationFailed = EventsInventoryStockReservationFailedV1;
export const stockReservationFailed = defineEvent<StockReservationFailed>('inventory', 'stock-reservation-failed', 1, stockReservationFailedSchema);

/** Subject: the order id. */
export type StockReleased = EventsInventoryStockReleasedV1;
export const stockReleased = defineEvent<StockReleased>('inventory', 'stock-released', 1, stockReleasedSchema);

/** Subject: the product id. */
export type StockAdjusted = EventsInventoryStockAdjustedV1;
export const stockAdjusted = defineEvent<StockAdjusted>('inventory', 'stock-adjusted', 1, stockAdjustedSchema);
