// Who may deliver: the one check of a delivery token, for every event handler, scheduled function
// and the dead-letter sink, and for the local broker's ingress (a publisher token). A token is
// verified with jose against the keys of DELIVERY_TOKEN_ISSUER, found through its OpenID Connect
// discovery document: the cluster's service-account issuer in a cluster, `npm start` locally.
// Only asymmetric algorithms: a user's HS256 token can never pass, and the issuer's public keys
// sign nothing. DELIVERY_AUTH=network-policy turns the check off (a cluster without Knative's
// sender identity, relying on its NetworkPolicies alone), with a warning.
import { createRemoteJWKSet, customFetch, jwtVerify, errors as joseErrors, type FetchImplementation, type JWTPayload } from 'jose';
import { Unauthorized, Unavailable } from './errors.js';
import type { Headers } from './http.js';
import { rootLogger, type Logger } from './log.js';
import { DISCOVERY_PATH } from './delivery-token.js';
import { apiServerUrl, requestWith, serviceAccount } from './token-request.js';

export type DeliveryAuthMode = 'token' | 'network-policy';

/** DELIVERY_AUTH: `token` unless the cluster's opt-out says `network-policy`. */
export const deliveryAuthMode = (): DeliveryAuthMode => {
  const mode = process.env.DELIVERY_AUTH || 'token';
  if (mode !== 'token' && mode !== 'network-policy') throw new Error(`DELIVERY_AUTH must be "token" or "network-policy", got "${mode}"`);
  return mode;
};

let warned = false;

/** Says once per process, at start, that deliveries go unchecked. */
export const warnWhenUnchecked = (log: Logger = rootLogger): void => {
  if (warned || deliveryAuthMode() !== 'network-policy') return;
  warned = true;
  log.warn('DELIVERY_AUTH=network-policy: deliveries are not authenticated; any pod the NetworkPolicies admit can deliver any event');
};

/** A function that checks deliveries but cannot: said once at start, since it will refuse them all. */
export const warnWhenUncheckable = (log: Logger = rootLogger): void => {
  if (deliveryAuthMode() === 'token' && !process.env.DELIVERY_TOKEN_ISSUER) {
    log.error('DELIVERY_TOKEN_ISSUER is unset: every delivery will be refused with 401 (set it, or DELIVERY_AUTH=network-policy)');
  }
};

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** In a cluster the API server serves discovery and keys only to a caller with a token, over its own CA. */
const getWithAccount = (url: string, signal: AbortSignal | undefined) => {
  const account = serviceAccount();
  return requestWith(url, { bearer: account?.token(), ca: account?.ca, signal });
};

const issuerFetch: FetchImplementation = async (url, options) => {
  const answer = await getWithAccount(url, options.signal);
  return new Response(answer.text, { status: answer.status, headers: { 'content-type': 'application/json' } });
};

interface Keys {
  issuer: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

const keysByIssuer = new Map<string, Promise<Keys>>();

interface Discovery {
  issuer?: string;
  jwks_uri?: string;
}

const discoveryAt = async (base: string): Promise<Discovery & { status: number; url: string }> => {
  const url = `${base.replace(/\/+$/, '')}${DISCOVERY_PATH}`;
  const answer = await getWithAccount(url, AbortSignal.timeout(5_000));
  return { status: answer.status, url, ...(answer.status === 200 ? (JSON.parse(answer.text) as Discovery) : {}) };
};

/**
 * Where the issuer's discovery document and keys are read. In a pod, from the API server the pod
 * reaches (KUBERNETES_SERVICE_HOST, as Knative's own verifier does) when its service-account issuer
 * is this one: the issuer's name (`https://kubernetes.default.svc`) needs the cluster's DNS, and the
 * discovery document's jwks_uri names the API server's advertised address, which a pod may not
 * reach; the keys are at the same path on the API server. Elsewhere, from the issuer itself.
 */
const locate = async (issuer: string): Promise<{ doc: Discovery; jwksUrl: URL }> => {
  if (serviceAccount()) {
    const server = apiServerUrl();
    const doc = await discoveryAt(server).catch(() => undefined);
    if (doc?.issuer === issuer && doc.jwks_uri) return { doc, jwksUrl: new URL(new URL(doc.jwks_uri).pathname, server) };
  }
  const doc = await discoveryAt(issuer);
  if (doc.status !== 200) throw new Error(`the discovery document of ${issuer} (${doc.url}) answered ${doc.status}`);
  return { doc, jwksUrl: new URL(doc.jwks_uri ?? '', issuer) };
};

const discover = async (issuer: string): Promise<Keys> => {
  const { doc, jwksUrl } = await locate(issuer);
  if (doc.issuer !== issuer || !doc.jwks_uri) throw new Error(`the discovery document of ${issuer} names the issuer "${doc.issuer}" or no jwks_uri`);
  // Cached keys; an unknown `kid` refetches them, at most every 30 s (a rotated key is picked up).
  const jwks = createRemoteJWKSet(jwksUrl, { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000, [customFetch]: issuerFetch });
  return { issuer, jwks };
};

/** The issuer's keys, discovered once; a failed discovery is tried again at the next delivery. */
const keysOf = (issuer: string): Promise<Keys> => {
  let keys = keysByIssuer.get(issuer);
  if (!keys) {
    keys = discover(issuer);
    keysByIssuer.set(issuer, keys);
    keys.catch(() => keysByIssuer.delete(issuer));
  }
  return keys;
};

// Verified tokens until they expire: a broker sends the same token for an audience until it renews
// it, and checking the signature again would only cost time. Bounded, oldest dropped first.
const verified = new Map<string, number>();
const VERIFIED_MAX = 1000;

const BEARER = /^Bearer\s+(\S+)$/i;

/** The bearer token of a request, or why there is none. */
const bearerOf = (headers: Headers, audience: string): string => {
  const header = headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw new Unauthorized(`a delivery needs a bearer token for the audience ${audience}`);
  const match = BEARER.exec(value);
  if (!match) throw new Unauthorized('the Authorization header must be "Bearer <token>"');
  return match[1] as string;
};

const refusal = (error: unknown, audience: string): Error => {
  if (error instanceof joseErrors.JWTExpired) return new Unauthorized('the delivery token has expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return new Unauthorized(`the delivery token is not for the audience ${audience}`);
    return new Unauthorized(`the delivery token's ${error.claim} claim is not valid (${error.reason})`);
  }
  // The issuer could not be asked for its keys: the token may be fine, so the sender retries.
  if (error instanceof joseErrors.JWKSTimeout || (error instanceof Error && !(error instanceof joseErrors.JOSEError))) {
    return new Unavailable(`the keys of the delivery token issuer could not be read: ${error.message}`);
  }
  return new Unauthorized('the delivery token is invalid');
};

/**
 * Checks that a request carries a valid token of DELIVERY_TOKEN_ISSUER for `audience`: 401
 * (Unauthorized) otherwise; 503 when the issuer's keys cannot be read. Returns its claims.
 */
export const verifyDelivery = async (headers: Headers, audience: string): Promise<JWTPayload | undefined> => {
  const token = bearerOf(headers, audience);
  const issuer = process.env.DELIVERY_TOKEN_ISSUER;
  if (!issuer) throw new Unauthorized('delivery tokens cannot be checked here: DELIVERY_TOKEN_ISSUER is unset');
  const key = `${issuer} ${audience} ${token}`;
  const known = verified.get(key);
  if (known !== undefined && known > Date.now()) return undefined;
  try {
    const { jwks } = await keysOf(issuer);
    const { payload } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ASYMMETRIC, requiredClaims: ['exp', 'sub'] });
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(key, (payload.exp as number) * 1000);
    return payload;
  } catch (error) {
    throw refusal(error, audience);
  }
};

/** `verifyDelivery` unless DELIVERY_AUTH=network-policy. */
export const checkDelivery = async (headers: Headers, audience: string): Promise<void> => {
  if (deliveryAuthMode() === 'network-policy') return;
  await verifyDelivery(headers, audience);
};
