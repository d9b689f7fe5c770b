// Password hashing with scrypt (node:crypto), a memory-hard KDF. A hash is stored as the
// self-describing string `scrypt$N$r$p$salt$key` (salt and key base64url), so the parameters can
// be raised later: old hashes still verify with their own, and are rehashed at the next login.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { normalizePassword } from './password.js';

export interface ScryptParameters {
  /** CPU/memory cost, a power of two; memory is about 128 * N * r bytes. */
  N: number;
  r: number;
  p: number;
}

/** 2^15 * 8 * 128 bytes = 32 MiB and some 50-100 ms per hash on a server core. */
export const SCRYPT: ScryptParameters = { N: 2 ** 15, r: 8, p: 1 };
export const SALT_BYTES = 16;
export const KEY_BYTES = 64;

// Node refuses a derivation whose memory exceeds maxmem (32 MiB by default, which 2^15 with r=8
// just passes over); allow twice the need.
const maxmemFor = ({ N, r }: ScryptParameters): number => 2 * 128 * N * r;

const derive = (password: string, salt: Buffer, keyBytes: number, params: ScryptParameters): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(normalizePassword(password), salt, keyBytes, { ...params, maxmem: maxmemFor(params) }, (error, key) => (error ? reject(error) : resolve(key)));
  });

interface ParsedHash {
  params: ScryptParameters;
  salt: Buffer;
  key: Buffer;
}

const FORMAT = /^scrypt\$(\d{1,8})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{16,})$/;

const format = ({ params, salt, key }: ParsedHash): string =>
  `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;

// Bounds keep a damaged row from making one login allocate gigabytes.
const parse = (stored: string): ParsedHash => {
  const match = FORMAT.exec(stored);
  const [N, r, p] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  if (!match || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) {
    throw new Error('a stored password hash is not in the scrypt$N$r$p$salt$key format');
  }
  return { params: { N, r, p }, salt: Buffer.from(match[4] as string, 'base64url'), key: Buffer.from(match[5] as string, 'base64url') };
};

/** A new hash of `password` with a fresh salt and the current parameters. */
export const hashPassword = async (password: string, params: ScryptParameters = SCRYPT): Promise<string> => {
  const salt = randomBytes(SALT_BYTES);
  return format({ params, salt, key: await derive(password, salt, KEY_BYTES, params) });
};

/** Whether `password` is the one `stored` was made from; compared in constant time. */
export const verifyPassword = async (password: string, stored: string): Promise<boolean> => {
  const { params, salt, key } = parse(stored);
  const derived = await derive(password, salt, key.length, params);
  return timingSafeEqual(derived, key);
};

/** Whether a hash was made with other parameters than the current ones (rehash it at login). */
export const needsRehash = (stored: string): boolean => {
  const { params, salt, key } = parse(stored);
  return params.N !== SCRYPT.N || params.r !== SCRYPT.r || params.p !== SCRYPT.p || salt.length !== SALT_BYTES || key.length !== KEY_BYTES;
};

/**
 * What a login for an unknown email verifies against: the current parameters and a random salt,
 * so it costs what a real verification costs, and a key of zeros no password derives to.
 */
export const DUMMY_HASH = format({ params: SCRYPT, salt: randomBytes(SALT_BYTES), key: Buffer.alloc(KEY_BYTES) });
