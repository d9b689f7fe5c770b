import { describe, expect, it } from 'vitest';
import { ValidationError } from '../runtime/errors.js';
import { assertStrongPassword, passwordWeaknesses } from './password.js';

const email = 'Ada.Lovelace@Example.test';

describe('passwordWeaknesses', () => {
  it('finds nothing wrong with a long password that is not the email', () => {
    expect(passwordWeaknesses('correct horse battery staple', email)).toEqual([]);
    expect(passwordWeaknesses('abcdefghij', email)).toEqual([]);
  });

  it('wants at least 10 characters, counted as characters, not UTF-16 units', () => {
    expect(passwordWeaknesses('abcdefghi', email)).toEqual(['must be at least 10 characters long']);
    // Nine characters, eighteen UTF-16 units.
    expect(passwordWeaknesses('🚀🚀🚀🚀🚀🚀🚀🚀x', email)).toEqual(['must be at least 10 characters long']);
    expect(passwordWeaknesses('北京北京北京北京北京', email)).toEqual([]);
  });

  it('refuses the email and its local part, in any case', () => {
    const rule = 'must not be the email address, nor the part of it before the @';
    expect(passwordWeaknesses('ada.lovelace@example.test', email)).toEqual([rule]);
    expect(passwordWeaknesses('ADA.LOVELACE', email)).toEqual([rule]);
    expect(passwordWeaknesses('ada.lovelace!', email)).toEqual([]);
  });

  it('refuses one character repeated', () => {
    expect(passwordWeaknesses('aaaaaaaaaaaa', email)).toEqual(['must not be one character repeated']);
    expect(passwordWeaknesses('🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀', email)).toEqual(['must not be one character repeated']);
  });

  it('names every rule broken at once', () => {
    expect(passwordWeaknesses('xxx', 'xxx@example.test')).toEqual([
      'must be at least 10 characters long',
      'must not be the email address, nor the part of it before the @',
      'must not be one character repeated',
    ]);
  });

  it('checks the NFKC form, the form that is hashed', () => {
    // Ten full-width letters are ten letters; a composed and a decomposed é are one character.
    expect(passwordWeaknesses('ＡＢＣＤＥＦＧＨＩＪ', email)).toEqual([]);
    expect(passwordWeaknesses('e\u0301e\u0301e\u0301e\u0301e\u0301', email)).toEqual([
      'must be at least 10 characters long',
      'must not be one character repeated',
    ]);
  });
});

describe('assertStrongPassword', () => {
  it('throws a ValidationError pointing at /password and naming the rule', () => {
    let thrown: unknown;
    try {
      assertStrongPassword('short', email);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).message).toBe('the password is too weak: it must be at least 10 characters long');
    expect((thrown as ValidationError).errors).toEqual([{ pointer: '/password', message: 'must be at least 10 characters long' }]);
  });

  it('passes a strong password', () => {
    expect(() => assertStrongPassword('correct horse battery staple', email)).not.toThrow();
  });
});
