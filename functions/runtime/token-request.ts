// A function's own Kubernetes identity: the service-account token and cluster CA the kubelet
// mounts into its pod, used to read the service-account issuer's discovery document (the API
// server asks for a token), and to ask the TokenRequest API for a token of another audience (the
// dead-letter replay, which delivers as the broker would). Outside a cluster none of this exists.
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { cachingTokenSource, type TokenSource } from './delivery-token.js';

/** Where the kubelet mounts a pod's service-account token, namespace and CA. */
const KUBELET_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** SERVICE_ACCOUNT_DIR when set (a pod mounting it elsewhere, a test), else the kubelet's folder. */
export const serviceAccountDir = (): string => process.env.SERVICE_ACCOUNT_DIR || KUBELET_DIR;

export interface ServiceAccountFiles {
  /** Its token (read again at each use: the kubelet rotates it). */
  token(): string;
  /** The cluster's CA, when mounted. */
  ca: string | undefined;
}

/** The pod's own service account, when running in a cluster. */
export const serviceAccount = (dir = serviceAccountDir()): ServiceAccountFiles | undefined => {
  const tokenFile = join(dir, 'token');
  if (!existsSync(tokenFile)) return undefined;
  const caFile = join(dir, 'ca.crt');
  return { token: () => readFileSync(tokenFile, 'utf8').trim(), ca: existsSync(caFile) ? readFileSync(caFile, 'utf8') : undefined };
};

export interface HttpsAnswer {
  status: number;
  text: string;
}

/** One request with a bearer token, trusting `ca` for https (node's fetch takes no CA of its own). */
export const requestWith = (
  url: string,
  options: { method?: string; bearer?: string; ca?: string; body?: string; signal?: AbortSignal },
): Promise<HttpsAnswer> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    // The API server serves its JWKS as application/jwk-set+json and answers 406 to a plain JSON accept.
    const headers: Record<string, string> = { accept: 'application/json, application/jwk-set+json' };
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: options.method ?? 'GET', headers, signal: options.signal, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });

/** The namespace and name of the service account a token was issued to. */
export const identityOf = (token: string): { namespace: string; name: string } => {
  const claims = decodeJwt(token) as { sub?: string; 'kubernetes.io'?: { namespace?: string; serviceaccount?: { name?: string } } };
  const k8s = claims['kubernetes.io'];
  if (k8s?.namespace && k8s.serviceaccount?.name) return { namespace: k8s.namespace, name: k8s.serviceaccount.name };
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.sub ?? '');
  if (!match) throw new Error('the service-account token names no service account');
  return { namespace: match[1] as string, name: match[2] as string };
};

/** The API server as a pod reaches it (the variables Kubernetes sets in every container). */
export const apiServerUrl = (): string => {
  const host = process.env.KUBERNETES_SERVICE_HOST ?? 'kubernetes.default.svc';
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
};

const TOKEN_LIFETIME_S = 3600;

/**
 * Tokens of the pod's own service account for any audience, from the TokenRequest API (the
 * service account needs `create` on its own `serviceaccounts/token`).
 */
export const tokenRequestSource = (account: ServiceAccountFiles, apiServer = apiServerUrl()): TokenSource =>
  cachingTokenSource(async (audience) => {
    const own = account.token();
    const { namespace, name } = identityOf(own);
    const url = `${apiServer}/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`;
    const body = JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: [audience], expirationSeconds: TOKEN_LIFETIME_S },
    });
    const answer = await requestWith(url, { method: 'POST', bearer: own, ca: account.ca, body, signal: AbortSignal.timeout(10_000) });
    if (answer.status !== 201 && answer.status !== 200) throw new Error(`TokenRequest for ${audience} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    const status = (JSON.parse(answer.text) as { status?: { token?: string; expirationTimestamp?: string } }).status;
    if (!status?.token) throw new Error(`TokenRequest for ${audience} answered without a token`);
    const expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Date.now() + TOKEN_LIFETIME_S * 1000;
    return { token: status.token, expiresAt };
  });
