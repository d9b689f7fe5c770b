// scripts/deploy.ts: the commands it would run for each environment (kubectl and --kn), their
// order, what the overlay renders for the migration Jobs, and how the runner stops. Nothing here
// contacts a cluster: the overlays are rendered locally with `kubectl kustomize`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDefinition } from '../events/index.js';
import { registry } from '../functions/index.js';
import type { RegisteredFunction } from '../functions/runtime/definition.js';
import { migratedContexts } from '../functions/runtime/migrate.js';
import { ENVS, deployCommands, formatCommand, parseArgs, parseInventory, renderOverlay, runCommands, type Command, type Env, type Rendered } from './deploy.js';
import { DEAD_LETTER_SINK, buildManifests } from './knative/generate.js';
import { PUBLISHER_TOKEN_FILE, PUBLISHER_TOKEN_VOLUME } from './knative/identity.js';
import type { ServiceSpec } from './knative/kn.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The namespace and image that knative/overlays/<env>/kustomization.yaml declares. */
const overlayOf = (env: Env): { namespace: string; image: string } => {
  const k = parse(readFileSync(join(root, 'knative', 'overlays', env, 'kustomization.yaml'), 'utf8')) as {
    namespace: string;
    images: { name: string; newName: string; newTag?: string; digest?: string }[];
  };
  const image = k.images.find((i) => i.name === 'gotuto-functions');
  if (!image) throw new Error(`${env}: no image for gotuto-functions`);
  return { namespace: k.namespace, image: image.digest ? `${image.newName}@${image.digest}` : `${image.newName}:${image.newTag ?? 'latest'}` };
};

const rendered = new Map<Env, Rendered[]>();
const docsOf = (env: Env): Rendered[] => {
  let docs = rendered.get(env);
  if (!docs) rendered.set(env, (docs = renderOverlay(env)));
  return docs;
};

const serviceOf = (env: Env, name: string): Rendered => docsOf(env).find((d) => d.kind === 'Service' && d.metadata.name === name) as Rendered;

/** The min-scale annotation of a function's Service, as the overlay renders it. */
const minScaleOf = (env: Env, name: string): string | undefined => {
  const svc = docsOf(env).find((d) => d.kind === 'Service' && d.metadata.name === name);
  return (svc?.spec as { template: { metadata: { annotations: Record<string, string> } } } | undefined)?.template.metadata.annotations[
    'autoscaling.knative.dev/min-scale'
  ];
};

/** A line that formatCommand printed, read back into its words (it quotes with '...' only). */
const words = (line: string): string[] =>
  [...line.matchAll(/(?:'[^']*'|\\'|[^\s'])+/g)].map(([w]) => w.replace(/'([^']*)'|\\'/g, (_, quoted: string | undefined) => quoted ?? "'"));

const deploy = (...args: string[]) => spawnSync('npx', ['tsx', 'scripts/deploy.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

/** The value after `flag` in `command`, every time it occurs. */
const values = (command: Command, flag: string): string[] =>
  command.flatMap((arg, i) => (arg === flag && command[i + 1] !== undefined ? [command[i + 1] as string] : []));
const starts = (command: Command, ...prefix: string[]): boolean => prefix.every((p, i) => command[i] === p);

const consumers = registry.filter(
  (fn) => fn.definition.kind === 'handler' && fn.definition.event && !fn.definition.schedule && !fn.definition.anyType && fn.name !== DEAD_LETTER_SINK,
);
const scheduled = registry.filter((fn) => fn.definition.kind === 'handler' && fn.definition.schedule);

describe.each(ENVS)('deploy %s --kn --dry-run', (env) => {
  const commands = () => deployCommands(env, docsOf(env), { kn: true });
  const { namespace, image } = overlayOf(env);

  it("names every function once in a kn service command, with the overlay's namespace and image", () => {
    const services = commands().filter((c) => starts(c, 'kn', 'service'));
    expect(services.map((c) => c[3]).sort()).toEqual(registry.map((fn) => fn.name).sort());
    for (const c of services) {
      expect(c[2], c[3]).toBe('create');
      expect(values(c, '-n'), c[3]).toEqual([namespace]);
      expect(values(c, '--image'), c[3]).toEqual([image]);
      // A publishing function also finds its Broker token (sender identity), and runs as its context's account.
      const pod = (serviceOf(env, c[3] as string).spec as ServiceSpec).template.spec;
      const publisher = pod.volumes !== undefined;
      expect(values(c, '--env'), c[3]).toEqual([`FUNCTION_TARGET=${c[3]}`, ...(publisher ? [`PUBLISHER_TOKEN_FILE=${PUBLISHER_TOKEN_FILE}`] : [])]);
      expect(values(c, '--service-account'), c[3]).toEqual(pod.serviceAccountName ? [pod.serviceAccountName] : []);
      expect(values(c, '--env-from'), c[3]).toEqual(['cm:gotuto-config', 'secret:gotuto-secrets']);
      // Only prod keeps functions warm (README.md, "Deploy to OpenShift Serverless").
      expect(values(c, '--scale-min'), c[3]).toEqual([env === 'prod' ? minScaleOf(env, c[3] as string) : '0']);
      expect(values(c, '--label'), c[3]).toContain('app.kubernetes.io/part-of=gotuto');
      expect(c.includes('--cluster-local'), c[3]).toBe(true);
    }
  });

  it('creates a Trigger per event handler on its type, and a PingSource per scheduled function', () => {
    const triggers = commands().filter((c) => starts(c, 'kn', 'trigger', 'create'));
    expect(triggers.map((c) => c[3]).sort()).toEqual(consumers.map((fn) => fn.name).sort());
    for (const fn of consumers) {
      const c = triggers.find((t) => t[3] === fn.name) as Command;
      expect(values(c, '--filter')).toEqual([`type=${(fn.definition as { event: EventDefinition<unknown> }).event.type}`]);
      expect(values(c, '--broker')).toEqual(['gotuto']);
      expect(values(c, '--sink')).toEqual([`ksvc:${fn.name}`]);
    }
    const pings = commands().filter((c) => starts(c, 'kn', 'source', 'ping', 'create'));
    expect(pings.map((c) => c[4]).sort()).toEqual(scheduled.map((fn) => fn.name).sort());
    for (const fn of scheduled) {
      const c = pings.find((p) => p[4] === fn.name) as Command;
      expect(values(c, '--schedule')).toEqual([(fn.definition as { schedule: { cron: string } }).schedule.cron]);
      expect(values(c, '--data')).toEqual(['{}']);
      expect(values(c, '--sink')).toEqual([`ksvc:${fn.name}`]);
    }
  });

  it('creates the Kafka Broker on its ConfigMap, and the SinkBinding of every function', () => {
    const brokers = commands().filter((c) => starts(c, 'kn', 'broker', 'create'));
    expect(brokers).toHaveLength(1);
    expect(values(brokers[0] as Command, '--class')).toEqual(['Kafka']);
    expect(values(brokers[0] as Command, '--broker-config')).toEqual(['cm:kafka-broker-config']);
    expect(commands()).toContainEqual(['kn', 'broker', 'update', 'gotuto', '-n', namespace, '--dl-sink', `ksvc:${DEAD_LETTER_SINK}`]);
    expect(commands()).toContainEqual([
      'kn',
      'source',
      'binding',
      'create',
      'gotuto-sink',
      '-n',
      namespace,
      '--subject',
      'Service:serving.knative.dev/v1:app.kubernetes.io/part-of=gotuto',
      '--sink',
      'broker:gotuto',
    ]);
  });

  it('works in the namespace of the overlay, in dependency order', () => {
    const all = commands();
    for (const c of all) {
      if (starts(c, 'kubectl', 'apply', '-k')) expect(c[3]).toBe(`knative/overlays/${env}`);
      else expect(values(c, '-n'), formatCommand(c)).toEqual([namespace]);
    }
    const at = (match: (c: Command) => boolean, last = false): number => (last ? all.findLastIndex(match) : all.findIndex(match));
    const order = [
      at((c) => starts(c, 'kubectl', 'get', 'secret', 'gotuto-secrets')),
      at((c) => starts(c, 'kubectl', 'delete', 'job')),
      at((c) => starts(c, 'kubectl', 'apply', '-k') && values(c, '-l')[0] === 'app.kubernetes.io/component in (config,migration,network,identity)'),
      at((c) => starts(c, 'kubectl', 'wait', 'job')),
      at((c) => starts(c, 'kn', 'broker', 'create')),
      at((c) => starts(c, 'kn', 'source', 'binding')),
      at((c) => starts(c, 'kn', 'service')),
      at((c) => starts(c, 'kn', 'service'), true),
      at((c) => starts(c, 'kn', 'broker', 'update')),
      at((c) => starts(c, 'kn', 'source', 'ping')),
    ];
    expect(
      order.every((i) => i >= 0),
      JSON.stringify(order),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('is what the command prints, one command a line, running nothing', () => {
    const run = deploy(env, '--kn', '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trimEnd().split('\n')).toEqual(commands().map(formatCommand));
  }, 60_000);
});

describe('deploy prod --kn --dry-run, as printed', () => {
  let run: ReturnType<typeof deploy>;
  let printed: string[][] = [];
  beforeAll(() => {
    run = deploy('prod', '--kn', '--dry-run');
    printed = run.stdout.trimEnd().split('\n').map(words);
  }, 60_000);
  const lines = (...prefix: string[]) => printed.filter((c) => prefix.every((p, i) => c[i] === p));

  it('runs and prints one command a line, read back as the shell reads it', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(printed.map(formatCommand)).toEqual(run.stdout.trimEnd().split('\n'));
    expect(words(formatCommand(['echo', "it's", 'a b', '{"x":1}']))).toEqual(['echo', "it's", 'a b', '{"x":1}']);
  });

  it('creates every Service with its scale: the warm ones at min-scale 1, the others at 0', () => {
    const services = docsOf('prod').filter((d) => d.kind === 'Service');
    const created = lines('kn', 'service', 'create');
    expect(created.map((c) => c[3]).sort()).toEqual(services.map((s) => s.metadata.name).sort());
    const warm = created.filter((c) => values(c, '--scale-min')[0] === '1').map((c) => c[3]);
    expect(warm.length).toBeGreaterThan(0);
    for (const c of created) {
      const name = c[3] as string;
      expect(values(c, '--scale-min'), name).toEqual([warm.includes(name) ? '1' : '0']);
      expect(values(c, '--scale-min'), name).toEqual([minScaleOf('prod', name)]);
      expect(values(c, '--scale-max'), name).toHaveLength(1);
    }
    // Warm functions answer shoppers or carry the saga up to confirmed: none is a schedule.
    for (const name of warm) {
      const fn = registry.find((f) => f.name === name);
      expect(fn?.definition.kind === 'handler' && fn.definition.schedule, name).toBeFalsy();
    }
  });

  it("creates every Trigger on the Kafka Broker, then patches its delivery order: ordered for Order's invoice-status Trigger", () => {
    const triggers = docsOf('prod').filter((d) => d.kind === 'Trigger');
    expect(lines('kn', 'broker', 'create')).toEqual([
      [
        'kn',
        'broker',
        'create',
        'gotuto',
        '-n',
        'gotuto-prod',
        '--class',
        'Kafka',
        '--broker-config',
        'cm:kafka-broker-config',
        '--retry',
        '5',
        '--backoff-policy',
        'exponential',
        '--backoff-delay',
        'PT0.5S',
      ],
    ]);
    expect(
      lines('kn', 'trigger', 'create')
        .map((c) => c[3])
        .sort(),
    ).toEqual(triggers.map((t) => t.metadata.name).sort());
    let orderedTriggers = 0;
    for (const trigger of triggers) {
      const name = trigger.metadata.name;
      const at = printed.findIndex((c) => c[0] === 'kn' && c[1] === 'trigger' && c[2] === 'create' && c[3] === name);
      const create = printed[at] as string[];
      const spec = trigger.spec as { filter: { attributes: { type: string } }; subscriber: { ref: { name: string } } };
      expect(values(create, '--broker'), name).toEqual(['gotuto']);
      expect(values(create, '--filter'), name).toEqual([`type=${spec.filter.attributes.type}`]);
      expect(values(create, '--sink'), name).toEqual([`ksvc:${spec.subscriber.ref.name}`]);
      const patch = printed[at + 1] as string[];
      expect(patch.slice(0, 4), name).toEqual(['kubectl', 'patch', 'triggers.eventing.knative.dev', name]);
      const order = (JSON.parse(values(patch, '-p')[0] as string) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[
        'kafka.eventing.knative.dev/delivery.order'
      ];
      expect(order, name).toBe(trigger.metadata.annotations?.['kafka.eventing.knative.dev/delivery.order']);
      if (name === 'order-on-invoice-status-changed') {
        orderedTriggers++;
        expect(order, name).toBe('ordered');
      }
    }
    expect(orderedTriggers).toBe(1);
  });
});

describe.each(ENVS)('deploy %s --dry-run (kubectl)', (env) => {
  it('prints `kubectl apply -k knative/overlays/<env>` after the Secret check and the migrations', () => {
    const run = deploy(env, '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    const { namespace } = overlayOf(env);
    expect(run.stdout.trimEnd().split('\n')).toEqual([
      `kubectl get secret gotuto-secrets -n ${namespace} -o name`,
      `kubectl delete job -n ${namespace} -l app.kubernetes.io/component=migration --ignore-not-found`,
      `kubectl apply -k knative/overlays/${env} -l 'app.kubernetes.io/component in (config,migration,network,identity)'`,
      `kubectl wait job -n ${namespace} -l app.kubernetes.io/component=migration --for=condition=complete --timeout=660s`,
      `kubectl apply -k knative/overlays/${env}`,
    ]);
  }, 60_000);

  // `kubectl apply -k ... --dry-run=client` needs a cluster; what it would send is what this renders.
  it("renders a migration Job per context on the overlay's image, in its namespace", () => {
    const { namespace, image } = overlayOf(env);
    const jobs = docsOf(env).filter((d) => d.kind === 'Job');
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual(migratedContexts(join(root, 'functions')).map((c) => `migrate-${c}`));
    for (const job of jobs) {
      const container = (job.spec as { template: { spec: { containers: { image: string; command: string[] }[] } } }).template.spec.containers[0];
      expect(container?.image, job.metadata.name).toBe(image);
      expect(container?.command, job.metadata.name).toEqual(['node', 'dist/migrate.js', 'up', job.metadata.name.replace(/^migrate-/, '')]);
      expect(job.metadata.namespace).toBe(namespace);
    }
  });
});

describe('deploy arguments', () => {
  it('refuses an unknown environment with a usage message and exit code 2', () => {
    const run = deploy('nope');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/unknown environment "nope"/);
    expect(run.stderr).toMatch(/usage: npm run deploy -- <dev\|staging\|prod\|overlay directory> \[--kn\] \[--dry-run\]/);
    expect(run.stdout).toBe('');
  }, 60_000);

  it('reads the environment and the flags in any order', () => {
    expect(parseArgs(['--dry-run', 'prod', '--kn'])).toEqual({ env: 'prod', kn: true, dryRun: true });
    expect(parseArgs(['dev'])).toEqual({ env: 'dev', kn: false, dryRun: false });
    expect(() => parseArgs([])).toThrow(/no environment/);
    expect(() => parseArgs(['dev', 'prod'])).toThrow(/one environment/);
    expect(() => parseArgs(['dev', '--force'])).toThrow(/unknown option --force/);
  });

  it('takes a directory with a kustomization.yaml as the overlay, and no other directory', () => {
    expect(parseArgs(['knative/overlays/staging/', '--dry-run'])).toEqual({ env: 'knative/overlays/staging/', kn: false, dryRun: true });
    expect(() => parseArgs(['knative/base/functions'])).toThrow(
      /unknown environment "knative\/base\/functions" \(one of dev, staging, prod, or a directory with a kustomization.yaml\)/,
    );
  });
});

describe("deploying an overlay of the operator's own", () => {
  // Prod with the outboxes writing to Kafka, as knative/README.md shows it.
  const dir = mkdtempSync(join(tmpdir(), 'gotuto-deploy-overlay-'));
  beforeAll(() => {
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${relative(dir, join(root, 'knative', 'overlays', 'prod'))}`,
        'components:',
        `  - ${relative(dir, join(root, 'knative', 'components', 'kafka-outbox'))}`,
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the commands of that overlay, applied like an environment', () => {
    const run = deploy(dir, '--dry-run');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n').map(words);
    const { namespace } = overlayOf('prod');
    expect(lines[0]).toEqual(['kubectl', 'get', 'secret', 'gotuto-secrets', '-n', namespace, '-o', 'name']);
    expect(lines.some((l) => starts(l, 'kubectl', 'apply', '-k', dir, '-l'))).toBe(true);
    expect(lines.at(-1)).toEqual(['kubectl', 'apply', '-k', dir]);
    // The overlay is really the one deployed: its KafkaSource is in what it renders.
    expect(renderOverlay(dir).some((d) => d.kind === 'KafkaSource' && d.metadata.namespace === namespace)).toBe(true);
  }, 60_000);

  it('refuses --kn for it, naming the resource kn cannot create', () => {
    const run = deploy(dir, '--dry-run', '--kn');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/the kn commands cannot deploy KafkaSource gotuto-outbox: deploy with kubectl \(no --kn\)/);
    expect(run.stdout).toBe('');
  }, 60_000);
});

describe('deployCommands --kn', () => {
  // Handlers the registry may not hold yet, so that Triggers and updates are checked today.
  const event = (context: string, name: string): EventDefinition<unknown> =>
    ({ type: `com.gotuto.${context}.${name}.v1`, context, name, version: 1 }) as unknown as EventDefinition<unknown>;
  const handlerFn = (name: string, context: string, def: Record<string, unknown>): RegisteredFunction => ({
    name,
    context,
    path: `${context}/handlers/${name.slice(context.length + 1)}`,
    definition: { kind: 'handler', handle: async () => undefined, ...def } as RegisteredFunction['definition'],
  });
  const samples = [
    handlerFn('inventory-on-order-placed', 'inventory', { event: event('order', 'order-placed') }),
    handlerFn('shipping-on-payment-received', 'shipping', { event: event('billing', 'payment-received'), delivery: { retry: 8, timeout: 'PT2M' } }),
  ];
  const sample = [...registry.filter((fn) => !samples.some((s) => s.name === fn.name)), ...samples];
  const docs: Rendered[] = buildManifests(sample, { image: 'quay.io/gotuto/gotuto-functions:9.9.9', migrations: ['billing'] }).map((m) => ({
    ...m,
    metadata: { ...m.metadata, namespace: 'gotuto-test' },
  }));

  it('creates each Trigger, then patches its delivery and Kafka delivery order', () => {
    const commands = deployCommands('dev', docs, { kn: true });
    const create = commands.findIndex((c) => starts(c, 'kn', 'trigger', 'create', 'inventory-on-order-placed'));
    expect(commands[create]).toEqual([
      'kn',
      'trigger',
      'create',
      'inventory-on-order-placed',
      '-n',
      'gotuto-test',
      '--broker',
      'gotuto',
      '--filter',
      'type=com.gotuto.order.order-placed.v1',
      '--sink',
      'ksvc:inventory-on-order-placed',
    ]);
    const patch = commands[create + 1] as Command;
    expect(patch.slice(0, 8)).toEqual([
      'kubectl',
      'patch',
      'triggers.eventing.knative.dev',
      'inventory-on-order-placed',
      '-n',
      'gotuto-test',
      '--type',
      'merge',
    ]);
    expect(JSON.parse(values(patch, '-p')[0] as string)).toEqual({
      metadata: { annotations: { 'argocd.argoproj.io/sync-wave': '2', 'kafka.eventing.knative.dev/delivery.order': 'unordered' } },
      spec: {
        delivery: expect.objectContaining({
          retry: 5,
          timeout: 'PT30S',
          deadLetterSink: {
            ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: DEAD_LETTER_SINK },
            audience: DEAD_LETTER_SINK,
            uri: '/?trigger=inventory-on-order-placed',
          },
        }),
        // kn sets no audience: the subscriber's comes with the patch (sender identity).
        subscriber: { audience: 'inventory-on-order-placed' },
      },
    });
    const own = commands.find((c) => starts(c, 'kubectl', 'patch', 'triggers.eventing.knative.dev', 'shipping-on-payment-received')) as Command;
    expect(JSON.parse(values(own, '-p')[0] as string).spec.delivery).toMatchObject({ retry: 8, timeout: 'PT2M' });
    // The Service waits as long as its Trigger does.
    const svc = commands.find((c) => starts(c, 'kn', 'service', 'create', 'shipping-on-payment-received')) as Command;
    expect(values(svc, '--timeout')).toEqual(['120']);
    expect(values(svc, '--concurrency-limit')).toEqual(['4']);
    expect(svc).toContain('--cluster-local');
  });

  it("runs each publishing function as its context's account, then mounts its Broker token with a JSON patch", () => {
    const commands = deployCommands('dev', docs, { kn: true });
    const create = commands.findIndex((c) => starts(c, 'kn', 'service', 'create', 'inventory-on-order-placed'));
    expect(values(commands[create] as Command, '--service-account')).toEqual(['gotuto-inventory']);
    expect(values(commands[create] as Command, '--env')).toContain(`PUBLISHER_TOKEN_FILE=${PUBLISHER_TOKEN_FILE}`);
    const patch = commands[create + 1] as Command;
    expect(patch.slice(0, 8)).toEqual(['kubectl', 'patch', 'services.serving.knative.dev', 'inventory-on-order-placed', '-n', 'gotuto-test', '--type', 'json']);
    const ops = JSON.parse(values(patch, '-p')[0] as string) as { path: string; value: { name: string }[] }[];
    expect(ops.map((o) => [o.path, o.value.map((v) => v.name)])).toEqual([
      ['/spec/template/spec/volumes', [PUBLISHER_TOKEN_VOLUME]],
      ['/spec/template/spec/containers/0/volumeMounts', [PUBLISHER_TOKEN_VOLUME]],
    ]);
    // A query never publishes: the namespace's default account, no token, no patch.
    const query = commands.findIndex((c) => starts(c, 'kn', 'service', 'create', 'billing-get-invoice'));
    expect(values(commands[query] as Command, '--service-account')).toEqual([]);
    expect(starts(commands[query + 1] as Command, 'kubectl', 'patch')).toBe(false);
    // The Broker's dead-letter sink gets its audience once kn has set it.
    const dls = commands.findIndex((c) => starts(c, 'kn', 'broker', 'update') && c.includes('--dl-sink'));
    expect(JSON.parse(values(commands[dls + 1] as Command, '-p')[0] as string)).toEqual({
      spec: { delivery: { deadLetterSink: { audience: DEAD_LETTER_SINK } } },
    });
  });

  it('updates what exists instead of creating it', () => {
    const existing = parseInventory(
      [
        'service.serving.knative.dev/billing-get-invoice',
        'broker.eventing.knative.dev/gotuto',
        'trigger.eventing.knative.dev/inventory-on-order-placed',
        'pingsource.sources.knative.dev/billing-relay-outbox',
        'sinkbinding.sources.knative.dev/gotuto-sink',
        'service.serving.knative.dev/unrelated',
      ].join('\n'),
    );
    const commands = deployCommands('dev', docs, { kn: true, existing });
    const verb = (...prefix: string[]) => commands.filter((c) => starts(c, ...prefix)).map((c) => c[prefix.length]);
    expect(verb('kn', 'service', 'update')).toEqual(['billing-get-invoice']);
    expect(verb('kn', 'service', 'create')).toHaveLength(sample.length - 1);
    expect(verb('kn', 'trigger', 'update')).toEqual(['inventory-on-order-placed']);
    const triggers = sample.filter((fn) => fn.definition.kind === 'handler' && fn.definition.event).map((fn) => fn.name);
    expect(verb('kn', 'trigger', 'create').sort()).toEqual(triggers.filter((name) => name !== 'inventory-on-order-placed').sort());
    expect(verb('kn', 'source', 'ping', 'update')).toEqual(['billing-relay-outbox']);
    expect(verb('kn', 'source', 'binding', 'update')).toEqual(['gotuto-sink']);
    expect(commands.filter((c) => starts(c, 'kn', 'broker', 'update'))).toEqual([
      ['kn', 'broker', 'update', 'gotuto', '-n', 'gotuto-test', '--retry', '5', '--backoff-policy', 'exponential', '--backoff-delay', 'PT0.5S'],
      ['kn', 'broker', 'update', 'gotuto', '-n', 'gotuto-test', '--dl-sink', `ksvc:${DEAD_LETTER_SINK}`],
    ]);
    // A function that was public becomes cluster-local on update: the Gateway is the door.
    expect(commands.find((c) => starts(c, 'kn', 'service', 'update'))).toContain('--cluster-local');
    // The Gateway and its routes last, with kubectl (kn has no command for them).
    expect(commands.at(-1)).toEqual(['kubectl', 'apply', '-k', 'knative/overlays/dev', '-l', 'app.kubernetes.io/component=gateway']);
  });

  it('refuses what the kn commands cannot express, rather than deploying less', () => {
    const deployment: Rendered = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'pgbouncer', namespace: 'gotuto-test' } };
    expect(() => deployCommands('dev', [...docs, deployment], { kn: true })).toThrow(/cannot deploy Deployment pgbouncer/);
    const withVolume = docs.map((d) =>
      d.kind === 'Service' && d.metadata.name === 'billing-get-invoice'
        ? { ...d, spec: { template: { ...(d.spec?.template as object), spec: { ...(d.spec?.template as { spec: object }).spec, nodeSelector: {} } } } }
        : d,
    );
    expect(() => deployCommands('dev', withVolume, { kn: true })).toThrow(/billing-get-invoice pod spec has nodeSelector/);
    // kubectl mode applies whatever the overlay holds.
    expect(deployCommands('dev', [...docs, deployment]).at(-1)).toEqual(['kubectl', 'apply', '-k', 'knative/overlays/dev']);
    const mixed = docs.map((d, i) => (i === 0 ? { ...d, metadata: { ...d.metadata, namespace: 'elsewhere' } } : d));
    expect(() => deployCommands('dev', mixed)).toThrow(/one namespace/);
  });
});

describe('running the commands', () => {
  it('stops at the first command that fails, with its exit code', () => {
    const ran: string[] = [];
    const log: string[] = [];
    const code = runCommands(
      [
        ['kubectl', 'get', 'secret', 'gotuto-secrets', '-n', 'gotuto-dev', '-o', 'name'],
        ['kn', 'broker', 'create', 'gotuto'],
        ['kn', 'service', 'create', 'x'],
      ],
      (c) => {
        ran.push(c.join(' '));
        return { status: c[1] === 'broker' ? 3 : 0, signal: null, error: undefined };
      },
      (l) => log.push(l),
    );
    expect(code).toBe(3);
    expect(ran).toEqual(['kubectl get secret gotuto-secrets -n gotuto-dev -o name', 'kn broker create gotuto']);
    expect(log.at(-1)).toBe('deploy: step 2 of 3 failed (exit code 3): kn broker create gotuto');
  });

  it('says where the Secret comes from when it is missing, and 127 when a tool cannot run', () => {
    const log: string[] = [];
    expect(
      runCommands(
        [['kubectl', 'get', 'secret', 'gotuto-secrets', '-n', 'gotuto-dev', '-o', 'name']],
        () => ({ status: 1, signal: null, error: undefined }),
        (l) => log.push(l),
        'gotuto-dev',
      ),
    ).toBe(1);
    expect(log.at(-1)).toMatch(/kubectl create secret generic gotuto-secrets -n gotuto-dev/);
    const enoent = Object.assign(new Error('spawnSync kn ENOENT'), { code: 'ENOENT' });
    expect(
      runCommands(
        [['kn', 'broker', 'list']],
        () => ({ status: null, signal: null, error: enoent }),
        () => undefined,
      ),
    ).toBe(127);
  });

  it('prints commands as a shell reads them back', () => {
    expect(formatCommand(['kn', 'source', 'ping', 'create', 'x', '--schedule', '*/15 * * * *', '--data', '{}', '--sink', 'ksvc:x'])).toBe(
      "kn source ping create x --schedule '*/15 * * * *' --data '{}' --sink ksvc:x",
    );
    expect(formatCommand(['echo', "it's"])).toBe(`echo 'it'\\''s'`);
  });
});
