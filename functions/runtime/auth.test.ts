// Tokens as the runtime verifies them: the platform's HS256 tokens, and RS256 tokens of an external
// OIDC issuer whose JWKS this test serves itself.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate, signToken } from './auth.js';

process.env.JWT_SECRET ??= 'auth-test-secret-auth-test-secret-auth';

let server: Server;
let issuerKey: CryptoKey;
let otherKey: CryptoKey;
const ISSUER = 'https://sso.example.test/realms/gotuto';

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  issuerKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.env.OIDC_ISSUER = ISSUER;
  process.env.OIDC_JWKS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/protocol/openid-connect/certs`;
  process.env.OIDC_AUDIENCE = 'gotuto-api';
});

afterAll(async () => {
  delete process.env.OIDC_ISSUER;
  delete process.env.OIDC_JWKS_URL;
  delete process.env.OIDC_AUDIENCE;
  await new Promise<void>((r) => server.close(() => r()));
});

const oidcToken = (claims: Record<string, unknown>, key = issuerKey, kid = 'k1', issuer = ISSUER) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid })
    .setSubject(randomUUID())
    .setIssuer(issuer)
    .setAudience('gotuto-api')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);

describe('authentication', () => {
  it('accepts the platform tokens and checks the role', async () => {
    const sub = randomUUID();
    const token = await signToken({ id: sub, role: 'customer' });
    expect(await authenticate(`Bearer ${token}`, ['customer', 'admin'])).toEqual({ id: sub, role: 'customer' });
    await expect(authenticate(`Bearer ${token}`, ['admin'])).rejects.toThrow(/role admin/);
    await expect(authenticate(undefined, ['admin'])).rejects.toThrow(/bearer token is required/);
    await expect(authenticate('Basic abc', ['admin'])).rejects.toThrow(/Bearer/);
    expect(await authenticate(undefined, 'public')).toBeUndefined();
  });

  it("signs for a platform of another secret when given it (a benchmark's children), and only that platform accepts it", async () => {
    const sub = randomUUID();
    const childSecret = 'the-secret-of-a-child-platform-of-32-bytes';
    const token = await signToken({ id: sub, role: 'admin' }, '2h', childSecret);
    await expect(authenticate(`Bearer ${token}`, ['admin'])).rejects.toThrow(/invalid/);
    const own = process.env.JWT_SECRET;
    process.env.JWT_SECRET = childSecret;
    try {
      expect(await authenticate(`Bearer ${token}`, ['admin'])).toEqual({ id: sub, role: 'admin' });
    } finally {
      process.env.JWT_SECRET = own;
    }
  });

  it("accepts an OIDC issuer's RS256 tokens through its JWKS, with Keycloak realm roles", async () => {
    const token = await oidcToken({ realm_access: { roles: ['offline_access', 'admin'] } });
    expect((await authenticate(`Bearer ${token}`, ['admin']))?.role).toBe('admin');
    const customer = await oidcToken({ roles: ['customer'] });
    expect((await authenticate(`Bearer ${customer}`, ['customer']))?.role).toBe('customer');
  });

  it('refuses OIDC tokens signed with another key, from another issuer, or without a platform role', async () => {
    await expect(authenticate(`Bearer ${await oidcToken({ role: 'admin' }, otherKey)}`, ['admin'])).rejects.toThrow(/invalid/);
    await expect(authenticate(`Bearer ${await oidcToken({ role: 'admin' }, issuerKey, 'k1', 'https://evil.example')}`, ['admin'])).rejects.toThrow(/invalid/);
    await expect(authenticate(`Bearer ${await oidcToken({ role: 'admin' }, issuerKey, 'unknown-kid')}`, ['admin'])).rejects.toThrow(/invalid/);
    await expect(authenticate(`Bearer ${await oidcToken({ realm_access: { roles: ['viewer'] } })}`, ['admin'])).rejects.toThrow(/no platform role/);
  });

  it("refuses an HS256 token that claims to be the OIDC issuer's", async () => {
    const forged = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(randomUUID())
      .setIssuer(ISSUER)
      .setAudience('gotuto-api')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(process.env.JWT_SECRET));
    await expect(authenticate(`Bearer ${forged}`, ['admin'])).rejects.toThrow(/invalid/);
  });
});
