// The one check of a delivery token, against a real issuer over HTTP (discovery and JWKS), and the
// token sources: the local key kept in a file, and the Kubernetes TokenRequest API, for which a
// real HTTP server stands in (scripts/knative/server-tokens.test.ts runs them against a real API server).
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from './auth.js';
import { checkDelivery, verifyDelivery, warnWhenUnchecked } from './delivery-auth.js';
import { cachingTokenSource, newSigningKey, signDeliveryToken, signingKeyIn } from './delivery-token.js';
import { Unauthorized } from './errors.js';
import type { Logger } from './log.js';
import { deliveryTokenFor, tokenFor, useTestIssuer } from './testing.js';
import { identityOf, tokenRequestSource } from './token-request.js';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const AUDIENCE = 'billing-on-order-cancelled';

beforeAll(async () => {
  await useTestIssuer();
});

afterEach(() => {
  delete process.env.DELIVERY_AUTH;
});

describe('verifyDelivery', () => {
  it('accepts a token of the issuer for the audience, and says what is wrong with any other', async () => {
    expect(await verifyDelivery(bearer(await deliveryTokenFor(AUDIENCE)), AUDIENCE)).toMatchObject({ aud: AUDIENCE, iss: process.env.DELIVERY_TOKEN_ISSUER });
    await expect(verifyDelivery({}, AUDIENCE)).rejects.toThrow(`a delivery needs a bearer token for the audience ${AUDIENCE}`);
    await expect(verifyDelivery({ authorization: 'Basic eDp5' }, AUDIENCE)).rejects.toThrow(/must be "Bearer <token>"/);
    await expect(verifyDelivery(bearer(await deliveryTokenFor('another-function')), AUDIENCE)).rejects.toThrow(`not for the audience ${AUDIENCE}`);
    await expect(verifyDelivery(bearer(await deliveryTokenFor(AUDIENCE, { lifetime: -60 })), AUDIENCE)).rejects.toThrow(/expired/);
    const issuer = await useTestIssuer();
    const otherKey = await signDeliveryToken({ url: issuer.url, key: await newSigningKey() }, AUDIENCE, { subject: 'x' });
    await expect(verifyDelivery(bearer(otherKey), AUDIENCE)).rejects.toThrow(/invalid/);
    const otherIssuer = await signDeliveryToken({ url: 'https://kubernetes.default.svc', key: issuer.key }, AUDIENCE, { subject: 'x' });
    await expect(verifyDelivery(bearer(otherIssuer), AUDIENCE)).rejects.toThrow(/iss claim/);
  });

  it("never takes a user's token for a delivery token, nor a delivery token for a user's", async () => {
    const admin = await tokenFor('admin');
    await expect(verifyDelivery(bearer(admin), AUDIENCE)).rejects.toBeInstanceOf(Unauthorized);
    await expect(authenticate(`Bearer ${await deliveryTokenFor(AUDIENCE)}`, ['admin'])).rejects.toBeInstanceOf(Unauthorized);
  });

  it('is skipped with DELIVERY_AUTH=network-policy, which warns once; any other value is refused', async () => {
    const lines: string[] = [];
    const keep = (message: string) => void lines.push(message);
    const log: Logger = { debug: keep, info: keep, warn: keep, error: keep, child: () => log };
    warnWhenUnchecked(log);
    expect(lines).toEqual([]);
    process.env.DELIVERY_AUTH = 'network-policy';
    await expect(checkDelivery({}, AUDIENCE)).resolves.toBeUndefined();
    warnWhenUnchecked(log);
    warnWhenUnchecked(log);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DELIVERY_AUTH=network-policy: deliveries are not authenticated/);
    process.env.DELIVERY_AUTH = 'off';
    await expect(checkDelivery({}, AUDIENCE)).rejects.toThrow(/DELIVERY_AUTH must be/);
  });
});

describe('token sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gotuto-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the local signing key in a file of mode 0600, created once and reused', async () => {
    const file = join(dir, 'delivery-signing-key.json');
    expect(await signingKeyIn(file, false)).toBeUndefined();
    const created = await signingKeyIn(file, true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await signingKeyIn(file, true))?.kid).toBe(created?.kid);
    expect(created?.publicJwk).not.toHaveProperty('d');
  });

  it('mints a token per audience once, until shortly before it expires', async () => {
    const minted: string[] = [];
    let lifetimeMs = 3_600_000;
    const source = cachingTokenSource(async (audience) => {
      minted.push(audience);
      return { token: `${audience}#${minted.length}`, expiresAt: Date.now() + lifetimeMs };
    });
    expect(await source('a')).toBe('a#1');
    expect(await source('a')).toBe('a#1');
    expect(await source('b')).toBe('b#2');
    lifetimeMs = 1;
    expect(await source('c')).toBe('c#3');
    await new Promise((r) => setTimeout(r, 5));
    expect(await source('c')).toBe('c#4');
  });

  describe('the TokenRequest API, for the pod its own service account', () => {
    let server: Server;
    const requests: Array<{ url: string; authorization: string; body: { spec: { audiences: string[] } } }> = [];
    let apiServer = '';
    const own = new UnsecuredJWT({ 'kubernetes.io': { namespace: 'gotuto-dev', serviceaccount: { name: 'platform-replay-dead-letter' } } })
      .setSubject('system:serviceaccount:gotuto-dev:platform-replay-dead-letter')
      .encode();

    beforeAll(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { spec: { audiences: string[] } };
          requests.push({ url: req.url ?? '', authorization: req.headers.authorization ?? '', body });
          if (req.headers.authorization !== `Bearer ${own}`) return void res.writeHead(401).end('{"kind":"Status","code":401}');
          const status = { token: `token-for-${body.spec.audiences[0]}`, expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString() };
          res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'TokenRequest', status }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      apiServer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      writeFileSync(join(dir, 'token'), own);
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('asks for a token of the audience as its own service account, once per audience', async () => {
      const source = tokenRequestSource({ token: () => own, ca: undefined }, apiServer);
      expect(await source(AUDIENCE)).toBe(`token-for-${AUDIENCE}`);
      expect(await source(AUDIENCE)).toBe(`token-for-${AUDIENCE}`);
      expect(requests).toEqual([
        {
          url: '/api/v1/namespaces/gotuto-dev/serviceaccounts/platform-replay-dead-letter/token',
          authorization: `Bearer ${own}`,
          body: expect.objectContaining({ kind: 'TokenRequest', spec: { audiences: [AUDIENCE], expirationSeconds: 3600 } }),
        },
      ]);
      const refused = tokenRequestSource({ token: () => new UnsecuredJWT({}).setSubject('system:serviceaccount:a:b').encode(), ca: undefined }, apiServer);
      await expect(refused(AUDIENCE)).rejects.toThrow(/TokenRequest for billing-on-order-cancelled answered 401/);
    });

    it('reads the service account from the claims, or from the subject', () => {
      expect(identityOf(own)).toEqual({ namespace: 'gotuto-dev', name: 'platform-replay-dead-letter' });
      expect(identityOf(new UnsecuredJWT({}).setSubject('system:serviceaccount:ns:sa').encode())).toEqual({ namespace: 'ns', name: 'sa' });
      expect(() => identityOf(new UnsecuredJWT({}).setSubject('someone').encode())).toThrow(/names no service account/);
    });
  });
});
