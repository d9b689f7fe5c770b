// Canary, promote, roll back: which functions may run two revisions, the kn commands that
// `npm run deploy` runs, and the `spec.traffic` that both they and the GitOps path leave (valid for
// Knative's Service schema, and the same split).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registry } from '../../functions/index.js';
import { deployCommands, formatCommand, renderOverlay } from '../deploy.js';
import { canaryTarget, parseTraffic, trafficCommand, trafficSpec, type TrafficAction, type TrafficTarget } from './traffic.js';
import { schemaErrors } from './schema-testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const prod = renderOverlay('prod');
const values = (command: string[], flag: string) => command.flatMap((a, i) => (a === flag ? [command[i + 1] as string] : []));

/** The traffic a kn service update's --tag and --traffic flags leave, resolved as kn resolves them. */
const knTraffic = (command: string[], before: Record<string, string> = {}): TrafficTarget[] => {
  const tags = { ...before };
  for (const t of values(command, '--tag')) {
    const [target, tag] = t.split('=') as [string, string];
    tags[tag] = target;
  }
  for (const tag of values(command, '--untag').flatMap((u) => u.split(','))) delete tags[tag];
  const tagOf = (target: string) => Object.entries(tags).find(([, t]) => t === target)?.[0];
  return values(command, '--traffic').map((t) => {
    const [target, percent] = t.split('=') as [string, string];
    const revision = before[target] ?? target;
    const tag = tagOf(target) ?? tagOf(revision);
    return { ...(revision === '@latest' ? { latestRevision: true } : { revisionName: revision }), percent: Number(percent), ...(tag ? { tag } : {}) };
  });
};

describe('traffic', () => {
  it('reads --canary=<function>:<percent>, --promote=<function>, --rollback=<function>', () => {
    expect(parseTraffic('--canary=customer-login:10')).toEqual({ action: 'canary', fn: 'customer-login', percent: 10 });
    expect(parseTraffic('--promote=customer-login')).toEqual({ action: 'promote', fn: 'customer-login' });
    expect(parseTraffic('--rollback=customer-login')).toEqual({ action: 'rollback', fn: 'customer-login' });
    expect(parseTraffic('--kn')).toBeUndefined();
    for (const bad of ['--canary=customer-login', '--canary=customer-login:0', '--canary=customer-login:100', '--promote='])
      expect(() => parseTraffic(bad), bad).toThrow();
  });

  it('splits commands and queries only: an event handler or a schedule runs one revision at a time', () => {
    for (const fn of registry) {
      const action: TrafficAction = { action: 'canary', fn: fn.name, percent: 10 };
      if (fn.definition.kind === 'handler') expect(() => canaryTarget(prod, action), fn.name).toThrow(/one revision at a time/);
      else expect(canaryTarget(prod, action).metadata.name).toBe(fn.name);
    }
    expect(() => canaryTarget(prod, { action: 'promote', fn: 'nothing' })).toThrow(/no function nothing/);
  });

  it("leaves with kn the spec.traffic the GitOps path writes, which Knative's Service schema accepts", () => {
    const svc = canaryTarget(prod, { action: 'canary', fn: 'customer-login', percent: 10 });
    const canary: TrafficAction = { action: 'canary', fn: 'customer-login', percent: 10 };
    const command = trafficCommand(canary, 'gotuto-prod', 'quay.io/gotuto/gotuto-functions@sha256:0', 'customer-login-00007');
    expect(command.slice(0, 8)).toEqual([
      'kn',
      'service',
      'update',
      'customer-login',
      '-n',
      'gotuto-prod',
      '--image',
      'quay.io/gotuto/gotuto-functions@sha256:0',
    ]);
    const afterCanary = knTraffic(command);
    expect(afterCanary).toEqual(trafficSpec(canary, 'customer-login-00007'));
    const tags = { stable: 'customer-login-00007', candidate: '@latest' };
    expect(knTraffic(trafficCommand({ action: 'rollback', fn: 'customer-login' }, 'gotuto-prod', ''), tags)).toEqual(
      trafficSpec({ action: 'rollback', fn: 'customer-login' }, 'customer-login-00007'),
    );
    expect(knTraffic(trafficCommand({ action: 'promote', fn: 'customer-login' }, 'gotuto-prod', ''), tags)).toEqual(
      trafficSpec({ action: 'promote', fn: 'customer-login' }, 'customer-login-00007'),
    );
    for (const action of [canary, { action: 'promote', fn: 'customer-login' }, { action: 'rollback', fn: 'customer-login' }] as TrafficAction[]) {
      const spec = trafficSpec(action, 'customer-login-00007');
      expect(spec.reduce((sum, t) => sum + t.percent, 0)).toBe(100);
      expect(schemaErrors([{ ...svc, spec: { ...svc.spec, traffic: spec } } as typeof svc]).errors).toEqual([]);
    }
    expect(() => trafficCommand(canary, 'gotuto-prod', 'image')).toThrow(/no ready revision/);
  });

  it('prints the commands with --dry-run, and refuses a scheduled function', () => {
    const deploy = (...args: string[]) => spawnSync('npx', ['tsx', 'scripts/deploy.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    const canary = deploy('prod', '--canary=customer-login:10', '--dry-run');
    expect(canary.status, canary.stderr).toBe(0);
    const lines = canary.stdout.trim().split('\n');
    expect(lines[0]).toBe("kubectl get services.serving.knative.dev customer-login -n gotuto-prod -o 'jsonpath={.status.latestReadyRevisionName}'");
    // The migrations first, as a deploy runs them.
    expect(lines.slice(1, -1)).toEqual(deployCommands('prod', prod).slice(0, -1).map(formatCommand));
    expect(lines.at(-1)).toMatch(
      /^kn service update customer-login -n gotuto-prod --image quay\.io\/gotuto\/gotuto-functions:\S+ --tag '.*=stable' --tag @latest=candidate --traffic '.*=90' --traffic @latest=10$/,
    );
    const scheduled = registry.find((fn) => fn.definition.kind === 'handler' && fn.definition.schedule);
    const refused = deploy('prod', `--promote=${scheduled?.name ?? ''}`, '--dry-run');
    expect([refused.status, refused.stderr]).toEqual([1, expect.stringMatching(/a schedule: it runs one revision at a time/)]);
  });
});
