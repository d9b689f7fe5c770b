// Whose record a request is about: a customer's token names its own account in `sub`.
import type { Caller } from '../runtime/definition.js';
import { NotFound, Unauthorized } from '../runtime/errors.js';
import type { Customer } from './customer.js';

/** The caller's own account id; the runtime has already refused a request without a token. */
export const selfId = (caller: Caller | undefined): string => {
  if (!caller) throw new Unauthorized('a bearer token is required');
  return caller.id;
};

/** A token whose `sub` names no account (deleted, or minted by hand) finds nothing. */
export const ownRecord = (customer: Customer | undefined, id: string): Customer => {
  if (!customer) throw new NotFound(`customer ${id} does not exist`);
  return customer;
};
