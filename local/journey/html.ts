// The two helpers every fragment of the journey page uses: a value as escaped text, and an event
// type as a person reads it.
import escape from 'escape-html';

/** Any value as HTML text: strings as they are, the rest as JSON, always escaped. */
export const text = (v: unknown): string => escape(v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** `com.gotuto.order.order-placed.v1` reads as `order.order-placed`. */
export const shortType = (type: unknown): string => (typeof type === 'string' ? type : '').replace(/^com\.gotuto\./, '').replace(/\.v\d+$/, '');
