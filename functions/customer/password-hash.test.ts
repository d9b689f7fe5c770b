import { describe, expect, it } from 'vitest';
import { DUMMY_HASH, KEY_BYTES, SALT_BYTES, SCRYPT, hashPassword, needsRehash, verifyPassword } from './password-hash.js';

describe('password hashes', () => {
  it('are self-describing scrypt strings with the current parameters, a 16-byte salt and a 64-byte key', async () => {
    const hash = await hashPassword('correct horse battery staple');

    const [kdf, N, r, p, salt, key] = hash.split('$');
    expect([kdf, Number(N), Number(r), Number(p)]).toEqual(['scrypt', 2 ** 15, 8, 1]);
    expect(Buffer.from(salt as string, 'base64url')).toHaveLength(SALT_BYTES);
    expect(Buffer.from(key as string, 'base64url')).toHaveLength(KEY_BYTES);
    expect(hash).not.toContain('correct horse');
  });

  it('differ for the same password (a fresh salt each time)', async () => {
    expect(await hashPassword('correct horse battery staple')).not.toBe(await hashPassword('correct horse battery staple'));
  });

  it('verify the password they were made from, and no other', async () => {
    const hash = await hashPassword('pässwörd 北京 🚀');

    expect(await verifyPassword('pässwörd 北京 🚀', hash)).toBe(true);
    expect(await verifyPassword('pässwörd 北京 🚀 ', hash)).toBe(false);
    expect(await verifyPassword('PÄSSWÖRD 北京 🚀', hash)).toBe(false);
  });

  it('verify the same text whether its accents are composed or not', async () => {
    const hash = await hashPassword('caf\u00e9 au lait!');

    expect(await verifyPassword('cafe\u0301 au lait!', hash)).toBe(true);
  });

  it('keep their own parameters, so older hashes still verify and are marked for rehashing', async () => {
    const old = await hashPassword('correct horse battery staple', { N: 2 ** 10, r: 8, p: 1 });

    expect(old.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('correct horse battery staple', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword('x'))).toBe(false);
  });

  it('refuse a stored value that is not a scrypt hash, or asks for absurd parameters', async () => {
    await expect(verifyPassword('x', 'plain-text-password')).rejects.toThrow(/format/);
    await expect(verifyPassword('x', `scrypt$${2 ** 30}$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA`)).rejects.toThrow(/format/);
    await expect(verifyPassword('x', 'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA')).rejects.toThrow(/format/);
  });

  it('have a dummy that costs a real verification and matches nothing', async () => {
    expect(DUMMY_HASH.startsWith(`scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$`)).toBe(true);
    expect(needsRehash(DUMMY_HASH)).toBe(false);
    expect(await verifyPassword('', DUMMY_HASH)).toBe(false);
    expect(await verifyPassword('correct horse battery staple', DUMMY_HASH)).toBe(false);
  });
});
