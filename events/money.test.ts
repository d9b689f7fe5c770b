import { describe, expect, it } from 'vitest';
import common from '../schemas/common.json' with { type: 'json' };
import { MAX_AMOUNT } from './index.js';

describe('MAX_AMOUNT', () => {
  it('is the bound of the money schema, which every context that handles amounts shares', () => {
    expect(MAX_AMOUNT).toBe(common.$defs.money.properties.amount.maximum);
    expect(MAX_AMOUNT).toBe(1_000_000_000_000);
  });
});
