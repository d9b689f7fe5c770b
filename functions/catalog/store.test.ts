import { describe, expect, it } from 'vitest';
import { ValidationError } from '../runtime/errors.js';
import { decodeCursor, encodeCursor, isUuid, searchWords } from './store.js';

const id = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

describe('list cursors', () => {
  it('decode to the position they were made from', () => {
    const position = { at: '2026-03-01T09:00:00.123456Z', id };

    expect(decodeCursor(encodeCursor(position))).toEqual(position);
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

describe('search words', () => {
  it('are the words of q, split on any white space, each once', () => {
    expect(searchWords('  crème\tbrûlée  Crème crème ')).toEqual(['crème', 'brûlée', 'Crème']);
  });

  it('are none for blank text', () => {
    expect(searchWords(' \n ')).toEqual([]);
  });
});

describe('isUuid', () => {
  it('accepts the canonical form only', () => {
    expect(isUuid(id)).toBe(true);
    expect(isUuid(`urn:uuid:${id}`)).toBe(false);
    expect(isUuid(id.replaceAll('-', ''))).toBe(false);
  });
});
