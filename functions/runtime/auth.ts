// Bearer JWT authentication: HS256 tokens signed with JWT_SECRET (or, on a developer's machine
// with no JWT_SECRET, the secret generated once into the data directory), and RS256 tokens of an
// external OIDC issuer verified through its JWKS when OIDC_ISSUER and OIDC_JWKS_URL are set.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { config } from './config.js';
import type { Access, Caller, Role } from './definition.js';
import { Forbidden, Unauthorized } from './errors.js';

const ROLES: readonly Role[] = ['admin', 'customer'];
let cachedKey: { source: string; key: Uint8Array } | undefined;
let cachedCryptoKey: { raw: Uint8Array; key: Promise<CryptoKey> } | undefined;

/** The HS256 key imported once for verification (WebCrypto would import raw bytes on every call). */
const verificationKey = (): Promise<CryptoKey> => {
  const raw = signingKey();
  if (cachedCryptoKey?.raw !== raw) {
    cachedCryptoKey = { raw, key: crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) };
  }
  return cachedCryptoKey.key;
};

/** The HS256 key: JWT_SECRET, else the local secret file (created when `create` is true). */
export const signingKey = (create = false): Uint8Array => {
  const fromEnv = process.env.JWT_SECRET;
  const source = fromEnv ? `env:${fromEnv}` : `file:${config.localSecretFile()}`;
  if (cachedKey?.source === source) return cachedKey.key;
  let secret = fromEnv;
  if (!secret) {
    const file = config.localSecretFile();
    if (!existsSync(file)) {
      if (!create) throw new Unauthorized('token verification is not configured (JWT_SECRET is unset)');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
    }
    secret = readFileSync(file, 'utf8').trim();
  }
  cachedKey = { source, key: new TextEncoder().encode(secret) };
  return cachedKey.key;
};

/**
 * Signs a platform token for a caller (login, `npm run token`, tests); with `secret`, for a
 * platform whose JWT_SECRET is that one instead of this process's (a benchmark's children).
 */
export const signToken = async (caller: Caller, expiresIn: string | number = '1h', secret?: string): Promise<string> =>
  new SignJWT({ role: caller.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(caller.id)
    .setIssuer(config.jwtIssuer())
    .setAudience(config.jwtAudience())
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(secret === undefined ? signingKey(true) : new TextEncoder().encode(secret));

const jwksByUrl = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** An external OIDC issuer (Keycloak, Red Hat SSO), when OIDC_ISSUER and OIDC_JWKS_URL are set. */
const oidc = () => {
  const issuer = process.env.OIDC_ISSUER;
  const jwksUrl = process.env.OIDC_JWKS_URL;
  if (!issuer || !jwksUrl) return undefined;
  let jwks = jwksByUrl.get(jwksUrl);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
    jwksByUrl.set(jwksUrl, jwks);
  }
  return { issuer, jwks, audience: process.env.OIDC_AUDIENCE || undefined };
};

/**
 * The platform role a token grants: a `role` claim, else an OIDC provider's roles (Keycloak puts
 * realm roles in `realm_access.roles`, other providers in `roles`); admin wins over customer.
 */
const roleOf = (payload: JWTPayload): Role | undefined => {
  if (ROLES.includes(payload.role as Role)) return payload.role as Role;
  const realm = (payload.realm_access as { roles?: unknown } | undefined)?.roles;
  const roles = [...(Array.isArray(realm) ? realm : []), ...(Array.isArray(payload.roles) ? payload.roles : [])];
  return ROLES.find((r) => roles.includes(r));
};

// Verified tokens, kept until they expire: a client sends the same token with every request,
// and checking its signature again would only cost time. Bounded, oldest dropped first.
const verified = new Map<string, { caller: Caller; expiresAt: number }>();
const VERIFIED_MAX = 1000;

const remember = (token: string, caller: Caller, exp: number | undefined) => {
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
  verified.set(token, { caller, expiresAt: (exp ?? 0) * 1000 });
};

/** The caller of a token verified before and not yet expired, without waiting. */
const knownCaller = (token: string): Caller | undefined => {
  const known = verified.get(token);
  if (!known) return undefined;
  if (known.expiresAt > Date.now()) return known.caller;
  verified.delete(token);
  return undefined;
};

const verify = async (token: string): Promise<Caller> => {
  const known = knownCaller(token);
  if (known) return known;
  try {
    const external = oidc();
    const alg = decodeProtectedHeader(token).alg;
    const { payload } =
      external && alg !== 'HS256'
        ? await jwtVerify(token, external.jwks, {
            algorithms: ['RS256'],
            issuer: external.issuer,
            audience: external.audience,
            requiredClaims: ['sub', 'exp'],
          })
        : await jwtVerify(token, await verificationKey(), {
            algorithms: ['HS256'],
            issuer: config.jwtIssuer(),
            audience: config.jwtAudience(),
            requiredClaims: ['sub', 'exp'],
          });
    const role = roleOf(payload);
    if (!role) throw new Unauthorized('token grants no platform role');
    const caller: Caller = { id: payload.sub as string, role };
    remember(token, caller, payload.exp);
    return caller;
  } catch (error) {
    if (error instanceof Unauthorized) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new Unauthorized('token has expired');
    throw new Unauthorized('token is invalid');
  }
};

const BEARER = /^Bearer\s+(\S+)$/i;

const allowed = (caller: Caller, access: Access): Caller => {
  if (access !== 'public' && !access.includes(caller.role)) {
    throw new Forbidden(`this operation needs the role ${access.join(' or ')}`);
  }
  return caller;
};

/**
 * `authenticate` for the request path: the answer itself when it is known at once (no token, or a
 * token verified before), a promise only when a signature must be checked. Throws, or rejects,
 * as `authenticate` rejects.
 */
export const authenticateNow = (authorization: string | undefined, access: Access): Caller | undefined | Promise<Caller | undefined> => {
  if (!authorization) {
    if (access === 'public') return undefined;
    throw new Unauthorized('a bearer token is required');
  }
  const match = BEARER.exec(authorization);
  if (!match) throw new Unauthorized('the Authorization header must be "Bearer <token>"');
  const token = match[1] as string;
  const known = knownCaller(token);
  return known ? allowed(known, access) : verify(token).then((caller) => allowed(caller, access));
};

/**
 * The caller of a request, checked against the function's access rule. A public function still
 * learns who calls when a valid token comes along; a bad token is refused even there.
 */
export const authenticate = async (authorization: string | undefined, access: Access): Promise<Caller | undefined> => authenticateNow(authorization, access);
