// Delivery tokens on the sending side: the local issuer (a signing key kept in the data directory,
// the OpenID Connect discovery document and JWKS that describe it) and token sources, which hand
// out a token for an audience and keep it until shortly before it expires, so a delivery does not
// sign (or ask the API server) each time. In a cluster Knative Eventing sends the deliveries and
// the service-account issuer signs; see token-request.ts for the one sender of this project there.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** The local issuer's algorithm: asymmetric, so whoever verifies never holds what signs. */
export const LOCAL_ALGORITHM = 'ES256';
/** Where the local issuer's keys are published, as Kubernetes names it. */
export const JWKS_PATH = '/openid/v1/jwks';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public half, as the JWKS lists it. */
  publicJwk: JWK;
}

export interface Issuer {
  /** The `iss` of its tokens; its discovery document is at `<url>/.well-known/openid-configuration`. */
  url: string;
  key: SigningKey;
}

const fromPrivateJwk = async (jwk: JWK): Promise<SigningKey> => {
  const { d: _private, alg: _alg, ...publicJwk } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  return { kid, privateKey: (await importJWK({ ...jwk, alg: LOCAL_ALGORITHM }, LOCAL_ALGORITHM)) as CryptoKey, publicJwk: { ...publicJwk, kid } };
};

/** A new private JWK, its `kid` the thumbprint of its public half. */
const generateJwk = async (): Promise<JWK> => {
  const { privateKey } = await generateKeyPair(LOCAL_ALGORITHM, { extractable: true });
  const { d: _private, ...publicJwk } = await exportJWK(privateKey);
  return { ...publicJwk, d: _private, kid: await calculateJwkThumbprint(publicJwk), alg: LOCAL_ALGORITHM };
};

/** A new key pair held in memory only (a test's issuer). */
export const newSigningKey = async (): Promise<SigningKey> => fromPrivateJwk(await generateJwk());

/**
 * The key kept in `file` (a private JWK, mode 0600), created there on first use when `create`;
 * undefined when there is none and `create` is false.
 */
export const signingKeyIn = async (file: string, create: boolean): Promise<SigningKey | undefined> => {
  if (!existsSync(file)) {
    if (!create) return undefined;
    mkdirSync(dirname(file), { recursive: true });
    // `wx`: two processes creating it at once cannot overwrite each other's key.
    try {
      writeFileSync(file, JSON.stringify(await generateJwk()), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return fromPrivateJwk(JSON.parse(readFileSync(file, 'utf8')) as JWK);
};

export interface TokenOptions {
  /** Who the token says sends (`sub`). */
  subject: string;
  /** Seconds, or a duration jose reads (`30m`, `12h`); default an hour. */
  lifetime?: number | string;
}

const DEFAULT_LIFETIME_S = 3600;

/** Signs a token for `audience`, as the service-account issuer would for a TokenRequest. */
export const signDeliveryToken = (issuer: Issuer, audience: string, options: TokenOptions): Promise<string> => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: LOCAL_ALGORITHM, kid: issuer.key.kid, typ: 'JWT' })
    .setIssuer(issuer.url)
    .setSubject(options.subject)
    .setAudience(audience)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(typeof options.lifetime === 'string' ? options.lifetime : now + (options.lifetime ?? DEFAULT_LIFETIME_S))
    .setJti(randomUUID())
    .sign(issuer.key.privateKey);
};

/** The OpenID Connect discovery document of an issuer, as a Kubernetes API server serves it. */
export const discoveryDocument = (issuerUrl: string) => ({
  issuer: issuerUrl,
  jwks_uri: `${issuerUrl}${JWKS_PATH}`,
  response_types_supported: ['id_token'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: [LOCAL_ALGORITHM],
});

export const jwksDocument = (key: SigningKey) => ({ keys: [{ ...key.publicJwk, alg: LOCAL_ALGORITHM, use: 'sig' }] });

/** What an issuer serves at `path`: its discovery document, its JWKS, or nothing. */
export const issuerDocument = (issuer: Issuer, path: string): object | undefined =>
  path === DISCOVERY_PATH ? discoveryDocument(issuer.url) : path === JWKS_PATH ? jwksDocument(issuer.key) : undefined;

/** A token for an audience, from wherever this process gets them. */
export type TokenSource = (audience: string) => Promise<string>;

export interface Minted {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** Tokens are renewed this long before they expire, so none arrives expired. */
const RENEW_BEFORE_MS = 5 * 60_000;

/** Keeps each audience's token until RENEW_BEFORE_MS before it expires (or a fifth of its life). */
export const cachingTokenSource = (mint: (audience: string) => Promise<Minted>): TokenSource => {
  const cache = new Map<string, { minted: Promise<Minted>; renewAt: number }>();
  return async (audience) => {
    const held = cache.get(audience);
    if (held && held.renewAt > Date.now()) return (await held.minted).token;
    const minted = mint(audience);
    const entry = { minted, renewAt: Number.POSITIVE_INFINITY };
    cache.set(audience, entry);
    try {
      const { expiresAt } = await minted;
      const now = Date.now();
      entry.renewAt = expiresAt - Math.min(RENEW_BEFORE_MS, (expiresAt - now) / 5);
    } catch (error) {
      cache.delete(audience);
      throw error;
    }
    return (await minted).token;
  };
};

/** Tokens signed by `issuer` (read at each mint: a restarted gateway is a new origin). */
export const issuerTokenSource = (issuer: () => Issuer, subject: string, lifetimeSeconds = DEFAULT_LIFETIME_S): TokenSource => {
  const byIssuer = new Map<string, TokenSource>();
  return (audience) => {
    const current = issuer();
    let source = byIssuer.get(current.url);
    if (!source) {
      source = cachingTokenSource(async (aud) => ({
        token: await signDeliveryToken(current, aud, { subject, lifetime: lifetimeSeconds }),
        expiresAt: Date.now() + lifetimeSeconds * 1000,
      }));
      byIssuer.set(current.url, source);
    }
    return source(audience);
  };
};
