// The in-pod token paths against a real kube-apiserver 1.32 (the server check's, started by
// startCluster): its service-account issuer serves discovery and keys over HTTPS, a pod's own
// token gets tokens for other audiences from the TokenRequest API, and a handler trusting that
// issuer accepts a delivery for its audience and refuses one for another. The pod's folder is a
// temporary one holding a real token of a real ServiceAccount and the API server's CA.
//
// Without the server check's binaries (npm run knative -- --server-check builds them once) these
// tests are reported skipped, their name saying so, except in CI, which must run them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built } from './server-build.js';
import { type Cluster, startCluster } from './server-cluster.js';
import { billingFunctions } from '../../functions/billing/index.js';
import { redeliver } from '../../functions/platform/delivery.js';
import type { DeadLetter } from '../../functions/platform/store.js';
import { PING_EVENT_TYPE } from '../../functions/runtime/definition.js';
import { register } from '../../functions/runtime/registry.js';
import { functionsAt, startFunctions, useTestDatabase, type TestApi } from '../../functions/runtime/testing.js';
import { requestWith, serviceAccount } from '../../functions/runtime/token-request.js';
import { deliveryHeaders } from '../../functions/runtime/token-source.js';

const ready = built();
if (!ready && process.env.CI)
  throw new Error("CI runs the token paths against the server check's API server: build its binaries first (the server-check step of .ci/run)");

const NAMESPACE = 'gotuto';
const ACCOUNT = 'billing-detect-overdue';
const HANDLER = 'billing/handlers/detect-overdue';
const AUDIENCE = 'billing-detect-overdue';
const ISSUER = 'https://kubernetes.default.svc';

const kubectl = (cluster: Cluster, args: string[], input?: string): string => {
  const result = spawnSync('kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], { input, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};

/** A dead letter of a PingSource tick that failed at the handler, kept for `subscriber`. */
const letterFor = (api: TestApi, subscriber: string): DeadLetter =>
  ({
    subscriber,
    destination: api.urlOf(HANDLER),
    event: {
      specversion: '1.0',
      id: randomUUID(),
      type: PING_EVENT_TYPE,
      source: `/apis/v1/namespaces/${NAMESPACE}/pingsources/${AUDIENCE}`,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: {},
    },
  }) as unknown as DeadLetter;

describe.skipIf(!ready)('the in-pod token paths against a real kube-apiserver (needs the binaries: npm run knative -- --server-check builds them once)', () => {
  useTestDatabase(['billing']);
  const api = startFunctions(functionsAt(register(billingFunctions), [HANDLER]));
  const pod = mkdtempSync(join(tmpdir(), 'gotuto-pod-'));
  let cluster: Cluster | undefined;
  let server = '';
  const saved = { ...process.env };

  beforeAll(async () => {
    cluster = await startCluster();
    kubectl(cluster, ['create', 'namespace', NAMESPACE]);
    kubectl(cluster, ['-n', NAMESPACE, 'create', 'serviceaccount', ACCOUNT]);
    writeFileSync(join(pod, 'token'), kubectl(cluster, ['-n', NAMESPACE, 'create', 'token', ACCOUNT]).trim());
    // The API server's self-signed serving certificate (with its CA) in the folder it generated them.
    writeFileSync(join(pod, 'ca.crt'), readFileSync(join(dirname(cluster.kubeconfig), 'certs', 'apiserver.crt')));
    writeFileSync(join(pod, 'namespace'), NAMESPACE);
    server = kubectl(cluster, ['config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}']).trim();
    const url = new URL(server);
    // What Kubernetes sets in every container, and the folder the kubelet would mount.
    Object.assign(process.env, {
      KUBERNETES_SERVICE_HOST: url.hostname,
      KUBERNETES_SERVICE_PORT: url.port,
      SERVICE_ACCOUNT_DIR: pod,
      DELIVERY_TOKEN_ISSUER: ISSUER,
    });
  }, 240_000);
  afterAll(async () => {
    process.env = saved;
    rmSync(pod, { recursive: true, force: true });
    await cluster?.stop();
  }, 60_000);

  // Kubernetes' default binding of system:service-account-issuer-discovery admits service accounts,
  // not anonymous callers; this API server (AlwaysAllow, which turns anonymous access off) refuses
  // them too. So the runtime sends the pod's own token, and trusts the cluster's CA.
  it('serves the issuer discovery document and its keys over HTTPS to the pod token, not to anonymous callers', async () => {
    const account = serviceAccount();
    expect(account?.ca).toContain('BEGIN CERTIFICATE');
    const bearer = account?.token();
    const discovery = await requestWith(`${server}/.well-known/openid-configuration`, { bearer, ca: account?.ca });
    expect(discovery.status).toBe(200);
    const doc = JSON.parse(discovery.text) as { issuer: string; jwks_uri: string };
    expect(doc.issuer).toBe(ISSUER);
    // At the advertised address, where this API server does not listen (bound to 127.0.0.1), as a
    // pod may not reach a cluster's: the runtime reads the keys at that path on the API server it reaches.
    expect(new URL(doc.jwks_uri).pathname).toBe('/openid/v1/jwks');
    expect(new URL(doc.jwks_uri).hostname).not.toBe(new URL(server).hostname);
    const keys = await requestWith(`${server}/openid/v1/jwks`, { bearer, ca: account?.ca });
    expect(keys.status).toBe(200);
    expect((JSON.parse(keys.text) as { keys: { kty: string }[] }).keys).toEqual([expect.objectContaining({ kty: 'RSA', use: 'sig' })]);
    expect((await requestWith(`${server}/.well-known/openid-configuration`, { ca: account?.ca })).status).toBe(401);
    // Without the cluster's CA the API server's certificate is not trusted.
    await expect(requestWith(`${server}/.well-known/openid-configuration`, { bearer })).rejects.toThrow(/certificate/);
  });

  it("gives the replay a token for a subscriber's audience through TokenRequest, and a handler of that audience accepts it", async () => {
    const { authorization } = await deliveryHeaders(AUDIENCE);
    const token = (authorization as string).replace(/^Bearer /, '');
    expect(decodeJwt(token)).toMatchObject({ iss: ISSUER, aud: [AUDIENCE], sub: `system:serviceaccount:${NAMESPACE}:${ACCOUNT}` });
    // The replay itself: a token from the same source, the keys read from the API server.
    expect(await redeliver(letterFor(api, AUDIENCE))).toEqual({ delivered: true, status: 204 });
  });

  it('refuses a delivery carrying a token of that issuer for another audience, with 401', async () => {
    expect(await redeliver(letterFor(api, 'billing-on-order-cancelled'))).toMatchObject({
      delivered: false,
      status: 401,
      error: expect.stringContaining(`not for the audience ${AUDIENCE}`),
    });
  });
});
