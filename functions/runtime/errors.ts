// The few typed errors that the model and the runtime throw; `problemFor` maps them to HTTP.

export interface FieldError {
  /** JSON pointer of the offending field, e.g. `/lines/0/quantity`. */
  pointer: string;
  message: string;
}

export class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request body is not well-formed (not JSON, too deep, not a CloudEvent); `errors` point at the field. */
export class BadRequest extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}
/** No token, or a token that cannot be verified. */
export class Unauthorized extends DomainError {}
/** A valid caller without the right to do this. */
export class Forbidden extends DomainError {}
/** The resource does not exist (or is not the caller's to see). */
export class NotFound extends DomainError {}
/** A business rule or an optimistic-concurrency conflict. */
export class Conflict extends DomainError {}
/** `If-Match` names a version that is no longer current. */
export class PreconditionFailed extends DomainError {}
export class PayloadTooLarge extends DomainError {}
export class UnsupportedMediaType extends DomainError {}
/** The input fails its schema or refers to something that cannot exist; never retried. */
export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
  }
}
export class TooManyRequests extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/** A dependency is down; the caller may retry after the given delay. */
export class Unavailable extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(message);
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const PROBLEM_BASE = 'https://gotuto.dev/problems/';

// One table from error class to status and problem type: the only place that decides this.
const table: Array<[new (...args: never[]) => DomainError, number, string, string]> = [
  [BadRequest, 400, 'bad-request', 'Malformed request'],
  [Unauthorized, 401, 'unauthorized', 'Authentication required'],
  [Forbidden, 403, 'forbidden', 'Not allowed'],
  [NotFound, 404, 'not-found', 'Not found'],
  [Conflict, 409, 'conflict', 'Conflict'],
  [PreconditionFailed, 412, 'precondition-failed', 'Precondition failed'],
  [PayloadTooLarge, 413, 'payload-too-large', 'Payload too large'],
  [UnsupportedMediaType, 415, 'unsupported-media-type', 'Unsupported media type'],
  [ValidationError, 422, 'validation', 'Validation failed'],
  [TooManyRequests, 429, 'too-many-requests', 'Too many requests'],
  [Unavailable, 503, 'unavailable', 'Service unavailable'],
];

// PostgreSQL errors that mean something to the caller (SQLSTATE codes), recognised by shape so
// that this module needs no driver.
const databaseErrors: Record<string, () => DomainError> = {
  '23505': () => new Conflict('a resource with the same unique value already exists'),
  '23503': () => new Conflict('the change refers to, or is referred to by, a resource that does not allow it'),
  '40001': () => new Conflict('a concurrent change interfered; retry'),
  '40P01': () => new Conflict('a concurrent change interfered; retry'),
  '22001': () => new ValidationError('a value is too long'),
  '22003': () => new ValidationError('a number is out of range'),
  '22021': () => new ValidationError('a text value holds a character that cannot be stored (NUL)'),
  '22P05': () => new ValidationError('a text value holds a character that cannot be stored (NUL)'),
  '22P02': () => new ValidationError('a value has the wrong format'),
  // Dates PostgreSQL cannot hold (the year 0000): a last line of defence behind the schemas.
  '22007': () => new ValidationError('a date or time has the wrong format'),
  '22008': () => new ValidationError('a date or time is out of range'),
  '57P01': () => new Unavailable('the database is restarting'),
  '57P03': () => new Unavailable('the database is not accepting connections yet'),
  '53300': () => new Unavailable('the database has no free connection'),
};
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

const fieldOf = (error: unknown, name: 'code' | 'constraint'): string | undefined => {
  const value = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/** What a store says, in its own words, when PostgreSQL refuses a write; gets the constraint's name. */
export interface Refusals {
  unique?: (constraint: string | undefined) => Error;
  foreignKey?: (constraint: string | undefined) => Error;
  check?: (constraint: string | undefined) => Error;
}

const REFUSAL_CODES: Record<string, keyof Refusals> = { '23505': 'unique', '23503': 'foreignKey', '23514': 'check' };

/**
 * Runs a write, turning a violation that a store can name (a unique value taken by a concurrent
 * request after its checks, a missing parent) into that store's error. Every other database error
 * goes on unchanged, to the one table above (text with a NUL is a 422 there, not a 500).
 */
export const writing = async <T>(work: () => Promise<T>, on: Refusals = {}): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    const kind = REFUSAL_CODES[fieldOf(error, 'code') ?? ''];
    const refusal = kind && on[kind];
    if (refusal) throw refusal(fieldOf(error, 'constraint'));
    throw error;
  }
};

const fromDatabase = (error: unknown): unknown => {
  if (!error || typeof error !== 'object' || error instanceof DomainError) return error;
  const code = fieldOf(error, 'code');
  if (code === undefined) return error;
  if (NETWORK.has(code)) return new Unavailable('the database cannot be reached');
  return databaseErrors[code]?.() ?? error;
};

/** The `never` check that ends every switch over a union: reached only by a value the types rule out. */
export const unreachable = (value: never): never => {
  throw new Error(`unexpected value ${JSON.stringify(value)}`);
};

/** Maps any thrown value to an RFC 9457 problem; unknown errors become an opaque 500. */
export const problemFor = (thrown: unknown): Problem => {
  const error = fromDatabase(thrown);
  for (const [cls, status, type, title] of table) {
    if (error instanceof cls) {
      const problem: Problem = { type: PROBLEM_BASE + type, title, status, detail: error.message };
      if ((error instanceof ValidationError || error instanceof BadRequest) && error.errors.length > 0) problem.errors = error.errors;
      return problem;
    }
  }
  return {
    type: PROBLEM_BASE + 'internal',
    title: 'Internal error',
    status: 500,
    detail: 'The request could not be completed; it has been logged.',
  };
};

/** Response headers that some problems carry (Retry-After). */
export const problemHeaders = (thrown: unknown): Record<string, string> => {
  const error = fromDatabase(thrown);
  // RFC 6750: a 401 names the scheme the caller must use.
  if (error instanceof Unauthorized) return { 'www-authenticate': 'Bearer' };
  return error instanceof TooManyRequests || error instanceof Unavailable ? { 'retry-after': String(error.retryAfterSeconds) } : {};
};
