// The rules a new password must meet. Pure: the caller hashes what passes (password-hash.ts).
import { ValidationError } from '../runtime/errors.js';

export const MIN_PASSWORD_LENGTH = 10;

/**
 * The form a password is checked, hashed and verified in: NFKC, so that the same text typed on
 * two keyboards (a composed or a decomposed "é") is the same password.
 */
export const normalizePassword = (password: string): string => password.normalize('NFKC');

const localPart = (email: string): string => email.slice(0, email.lastIndexOf('@'));

/** The rules `password` breaks for an account with `email`, each said as "must ..."; empty when it is fine. */
export const passwordWeaknesses = (password: string, email: string): string[] => {
  const normalized = normalizePassword(password);
  const characters = [...normalized];
  const weaknesses: string[] = [];
  if (characters.length < MIN_PASSWORD_LENGTH) weaknesses.push(`must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  const lower = normalized.toLowerCase();
  if (lower === email.toLowerCase() || lower === localPart(email).toLowerCase()) {
    weaknesses.push('must not be the email address, nor the part of it before the @');
  }
  if (characters.length > 0 && new Set(characters).size === 1) weaknesses.push('must not be one character repeated');
  return weaknesses;
};

/** Throws ValidationError (422), naming every rule the password breaks. */
export const assertStrongPassword = (password: string, email: string): void => {
  const weaknesses = passwordWeaknesses(password, email);
  if (weaknesses.length > 0) {
    throw new ValidationError(
      `the password is too weak: it ${weaknesses.join('; it ')}`,
      weaknesses.map((message) => ({ pointer: '/password', message })),
    );
  }
};
