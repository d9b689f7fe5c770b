// knative/components/rate-limits: Kuadrant's RateLimitPolicy has no schema in knative/schemas, so
// this test says which fields the component relies on (kuadrant.io/v1: spec.targetRef naming an
// HTTPRoute, spec.limits.<name>.rates[].limit and .window, counters[].expression) and checks them
// on every environment rendered with the component: each policy targets a route of the render, and
// those routes are the ones that take POST /customers/login, POST /customers/register and the
// Broker's public path.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVS, type Rendered } from '../deploy.js';
import { BROKER_PUBLIC_PATH, GATEWAY } from './gateway.js';
import { routeRequest } from './gateway-match.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'gotuto-rate-limits-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The environment's overlay with the component listed in it (where it gets the overlay's namespace), rendered. */
const withComponent = (env: string): Rendered[] => {
  const dir = join(work, env);
  mkdirSync(dir, { recursive: true });
  const overlay = join(root, 'knative', 'overlays', env);
  const kustomization = parse(readFileSync(join(overlay, 'kustomization.yaml'), 'utf8')) as { resources: string[]; components?: string[] };
  kustomization.resources = kustomization.resources.map((r) => relative(dir, join(overlay, r)));
  kustomization.components = [
    ...(kustomization.components ?? []).map((c) => relative(dir, join(overlay, c))),
    relative(dir, join(root, 'knative', 'components', 'rate-limits')),
  ];
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization));
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr ?? run.error?.message}`);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Rendered);
};

type Policy = {
  targetRef: { group: string; kind: string; name: string };
  limits: Record<string, { rates: { limit: number; window: string }[]; counters?: { expression: string }[] }>;
};
// Kuadrant v1's duration pattern for a rate's window.
const WINDOW = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const LIMITED = [
  ['POST', '/customers/login'],
  ['POST', '/customers/register'],
  ['POST', BROKER_PUBLIC_PATH],
] as const;

describe.each(ENVS)('the rate limits on %s', (env) => {
  it("limit sign-in, sign-up and the Broker's public path per client, on routes of the render", () => {
    const docs = withComponent(env);
    const routes = docs.filter((d) => d.kind === 'HTTPRoute');
    const policies = docs.filter((d) => d.kind === 'RateLimitPolicy');
    for (const p of policies) {
      expect(p.apiVersion).toBe('kuadrant.io/v1');
      expect(p.metadata.namespace).toBe(routes[0]?.metadata.namespace);
      const spec = p.spec as unknown as Policy;
      expect(spec.targetRef.group).toBe('gateway.networking.k8s.io');
      expect(spec.targetRef.kind).toBe('HTTPRoute');
      expect(routes.map((r) => r.metadata.name)).toContain(spec.targetRef.name);
      const limits = Object.entries(spec.limits);
      expect(limits.length).toBeGreaterThan(0);
      for (const [name, limit] of limits) {
        expect(limit.rates.length, name).toBeGreaterThan(0);
        for (const rate of limit.rates)
          expect([Number.isInteger(rate.limit) && rate.limit > 0, WINDOW.test(rate.window)], `${name} ${JSON.stringify(rate)}`).toEqual([true, true]);
        expect(limit.counters, name).toEqual([{ expression: 'source.address' }]);
      }
    }
    const targeted = policies.map((p) => (p.spec as unknown as Policy).targetRef.name).sort();
    const expected = LIMITED.map(([method, path]) => routeRequest(routes, GATEWAY, method, path)?.route);
    expect(targeted).toEqual(expected.sort());
  });
});
