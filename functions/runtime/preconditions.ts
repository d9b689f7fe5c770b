// Conditional writes: `If-Match` names the version a client last saw.
import { PreconditionFailed } from './errors.js';

/** Throws PreconditionFailed (412) when the request names a version other than the current one. */
export const checkIfMatch = (current: { version: number }, ifMatch: number | undefined): void => {
  if (ifMatch !== undefined && ifMatch !== current.version) {
    throw new PreconditionFailed(`the current version is ${current.version}, not ${ifMatch}`);
  }
};
