import { describe, expect, it } from 'vitest';
import { ValidationError } from '../runtime/errors.js';
import { decodeCursor, encodeCursor, isUuid } from './store.js';

const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

describe('list cursors', () => {
  it('decode to the position they were made from, and are URL-safe', () => {
    const position = { at: '2026-03-01T09:00:00.123456Z', id };

    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(encodeCursor(position)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON of another shape', Buffer.from('{"at":"x"}').toString('base64url')],
    ['a day no calendar has', Buffer.from(JSON.stringify(['2026-02-30T09:00:00.000000Z', id])).toString('base64url')],
    ['an id that is not a UUID', Buffer.from(JSON.stringify(['2026-03-01T09:00:00.000000Z', "1' OR '1'='1"])).toString('base64url')],
  ])('are refused as invalid input when they hold %s', (_what, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(ValidationError);
  });
});

describe('isUuid', () => {
  it('accepts the canonical form only', () => {
    expect(isUuid(id)).toBe(true);
    expect(isUuid(`{${id}}`)).toBe(false);
    expect(isUuid("x' OR 1=1")).toBe(false);
  });
});
