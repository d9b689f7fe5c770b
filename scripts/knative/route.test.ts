// knative/openshift/route: an OpenShift Route per environment in front of its Gateway, valid for the
// Route schema, re-encrypting to the Service OpenShift's gateway controller makes for that Gateway,
// on the port of the Gateway's HTTPS listener.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENVS, renderOverlay, type Rendered } from '../deploy.js';
import { GATEWAY, GATEWAY_CLASS, GATEWAY_LISTENER } from './gateway.js';
import { schemaErrors } from './schema-testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const routes = (): Rendered[] => {
  const run = spawnSync('kubectl', ['kustomize', 'knative/openshift/route'], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`kubectl kustomize knative/openshift/route failed:\n${run.stderr ?? run.error?.message}`);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Rendered);
};

type RouteSpec = {
  host?: string;
  to: { kind: string; name: string };
  port: { targetPort: number | string };
  tls: { termination: string; insecureEdgeTerminationPolicy?: string; destinationCACertificate?: string };
};
type Listener = { name: string; port: number; protocol: string };

describe('kubectl kustomize knative/openshift/route', () => {
  it('satisfies the OpenShift Route schema', () => {
    const docs = routes();
    expect(docs.map((d) => d.kind)).toEqual(ENVS.map(() => 'Route'));
    expect(schemaErrors(docs)).toEqual({ checked: docs.map((d) => `Route/${d.metadata.name}`), errors: [] });
  });

  it.each(ENVS)("sends %s's HTTPS, re-encrypted, to its Gateway's Service on the HTTPS listener's port", (env) => {
    const overlay = renderOverlay(env);
    const gateway = overlay.find((d) => d.kind === 'Gateway' && d.metadata.name === GATEWAY) as Rendered;
    const route = routes().find((d) => d.metadata.namespace === gateway.metadata.namespace);
    expect(route, `a Route in ${gateway.metadata.namespace}`).toBeDefined();
    const spec = route?.spec as RouteSpec;
    const { gatewayClassName, listeners } = gateway.spec as { gatewayClassName: string; listeners: Listener[] };
    // OpenShift's gateway controller (Istio) names the Service of a Gateway `<gateway>-<class>`.
    expect(gatewayClassName).toBe(GATEWAY_CLASS);
    expect(spec.to).toMatchObject({ kind: 'Service', name: `${GATEWAY}-${GATEWAY_CLASS}` });
    const listener = listeners.find((l) => l.name === GATEWAY_LISTENER) as Listener;
    expect([listener.protocol, spec.port.targetPort]).toEqual(['HTTPS', listener.port]);
    // The Gateway speaks only HTTPS: edge would send it plain HTTP; plain HTTP from clients is redirected.
    expect(spec.tls).toEqual({ termination: 'reencrypt', insecureEdgeTerminationPolicy: 'Redirect' });
  });
});
