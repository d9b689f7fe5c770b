// Keyset paging shared by every list: `limit` and an opaque `cursor` (the last row's created_at,
// to the microsecond, and id; or, in a numbered sequence such as an event stream, the last number),
// answered as `{ items, nextCursor }`.
import { ValidationError } from './errors.js';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path parameters are not schema-checked; anything that is not a UUID names nothing. */
export const isUuid = (value: string): boolean => UUID.test(value);

// ---- keyset cursors ----------------------------------------------------------------------------

/** Where a page ends: the last row's created_at (microseconds, UTC) and id. */
export interface Position {
  at: string;
  id: string;
}

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

// created_at as PostgreSQL holds it (microseconds), so the cursor is exact whatever wrote the row.
export const cursorAt = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export const badCursor = () => new ValidationError('the cursor is invalid', [{ pointer: '/query/cursor', message: 'is not a cursor of this list' }]);

const decode = (cursor: string): unknown => {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
};

export const encodeCursor = (position: Position): string => encode([position.at, position.id]);

export const decodeCursor = (cursor: string): Position => {
  const decoded = decode(cursor);
  if (!Array.isArray(decoded) || decoded.length !== 2) throw badCursor();
  const [at, id] = decoded as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !CURSOR_AT.test(at) || !isUuid(id)) throw badCursor();
  // Rejects what the pattern lets through but no calendar has (2026-02-31), which PostgreSQL would refuse.
  const parsed = new Date(`${at.slice(0, 23)}Z`);
  // And the year 0000, which JavaScript has but PostgreSQL does not.
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 19) !== at.slice(0, 19) || at.startsWith('0000')) throw badCursor();
  return { at, id };
};

/** A cursor in a numbered sequence (an event stream's versions): the last number read. */
export const encodeSequenceCursor = (last: number): string => encode(last);

export const decodeSequenceCursor = (cursor: string): number => {
  const decoded = decode(cursor);
  if (typeof decoded !== 'number' || !Number.isSafeInteger(decoded) || decoded < 0) throw badCursor();
  return decoded;
};

export const pageOf = <R extends { cursor_at: string; id: string }, T>(rows: R[], limit: number, toItem: (row: R) => T): Page<T> => {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
  };
};

export const limitOf = (page: PageRequest, max = MAX_LIMIT): number => Math.min(Math.max(page.limit ?? DEFAULT_LIMIT, 1), max);

// ---- sequence cursors --------------------------------------------------------------------------

// An append-only log (the local broker's) pages on its sequence number, as opaque as the keyset cursor.
export const encodeSeqCursor = (seq: number): string => Buffer.from(JSON.stringify(['seq', seq]), 'utf8').toString('base64url');

export const decodeSeqCursor = (cursor: string): number => {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== 'seq') throw badCursor();
  const seq = decoded[1] as unknown;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw badCursor();
  return seq;
};
