import { describe, expect, it } from 'vitest';
import { decodeCursor, decodeSequenceCursor, encodeCursor, encodeSequenceCursor, isUuid, limitOf } from './paging.js';

describe('cursors', () => {
  it('carry a keyset position, and refuse what no list of ours wrote', () => {
    const position = { at: '2026-12-04T20:00:00.123456Z', id: '0b8e7c9e-5d1a-4a53-9d0e-1f2a3b4c5d6e' };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(() => decodeCursor(encodeSequenceCursor(3))).toThrow('the cursor is invalid');
    expect(() => decodeCursor('not base64 json')).toThrow('the cursor is invalid');
  });

  it("carry a sequence number (an event stream's version), whole and not negative", () => {
    expect(decodeSequenceCursor(encodeSequenceCursor(42))).toBe(42);
    for (const value of [-1, 1.5, '3', null, [1]]) {
      expect(() => decodeSequenceCursor(Buffer.from(JSON.stringify(value)).toString('base64url'))).toThrow('the cursor is invalid');
    }
  });

  it('bound the limit, and name nothing with what is not a UUID', () => {
    expect([limitOf({}), limitOf({ limit: 0 }), limitOf({ limit: 10_000 })]).toEqual([50, 1, 200]);
    expect(isUuid('0B8E7C9E-5D1A-4A53-9D0E-1F2A3B4C5D6E')).toBe(true);
    expect(isUuid("1' OR '1'='1")).toBe(false);
  });
});
