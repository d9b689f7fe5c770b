// Who sees what: a customer their own carts and orders, an admin every order. Another
// customer's cart or order is answered as if it did not exist (404).
import type { Caller } from '../runtime/definition.js';
import { NotFound, PreconditionFailed, Unauthorized } from '../runtime/errors.js';
import type { Cart } from './cart.js';

/** The caller; the runtime has already refused a request without a token on these routes. */
export const callerOf = (caller: Caller | undefined): Caller => {
  if (!caller) throw new Unauthorized('a bearer token is required');
  return caller;
};

/** The cart, when it is the caller's own. */
export const ownCart = (cart: Cart | undefined, id: string, caller: Caller | undefined): Cart => {
  if (!cart || cart.customerId !== callerOf(caller).id) throw new NotFound(`cart ${id} does not exist`);
  return cart;
};

/** Whether the caller may see an order of `customerId`: its customer, or an admin. */
export const maySee = (caller: Caller | undefined, customerId: string): boolean =>
  caller?.role === 'admin' || (caller?.role === 'customer' && caller.id === customerId);

/** `customer:<id>` or `admin:<id>`: who asked, as the stream's metadata records it. */
export const actorOf = (caller: Caller | undefined): string => {
  const { role, id } = callerOf(caller);
  return `${role}:${id}`;
};

/** Throws PreconditionFailed (412) when the request names a version other than the current one. */
export const checkIfMatch = (current: { version: number }, ifMatch: number | undefined): void => {
  if (ifMatch !== undefined && ifMatch !== current.version) {
    throw new PreconditionFailed(`the current version is ${current.version}, not ${ifMatch}`);
  }
};
