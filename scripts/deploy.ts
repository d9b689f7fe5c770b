// Deploys one environment to the cluster that the current kubeconfig context points at.
//
//   npm run deploy -- <dev|staging|prod|overlay directory> [--kn] [--dry-run]
//
// What is deployed is knative/overlays/<env> as `kubectl kustomize` renders it (knative/base, generated
// from the registry, plus the overlay's namespace, image, scale and configuration), or an overlay of
// the operator's own: a directory with a kustomization.yaml, relative to the repository (one that adds
// knative/components/kafka-outbox on top of prod, say). Both modes first
//   1. check that the Secret gotuto-secrets exists in the namespace,
//   2. delete the previous migration Jobs (a Job's pod template is immutable, and a finished Job
//      would not run again for a new image pushed under the same tag),
//   3. apply the overlay's ConfigMaps and migration Jobs (`-l app.kubernetes.io/component in (config,migration)`),
//   4. wait for the Jobs to complete, so that no function runs on a schema older than its code,
// then
//   default  `kubectl apply -k knative/overlays/<env>`: every resource of the overlay, declaratively;
//   --kn     the same resources through `kn`, in dependency order: Broker, SinkBinding, Services,
//            the Broker's dead-letter sink, Triggers, PingSources (create, or update when they
//            exist), with a `kubectl patch` for what kn has no flag for (a Trigger's delivery and
//            Kafka delivery order, a PingSource's content type).
// --dry-run prints the commands, one per line, and runs none of them (it only renders the overlay
// locally, with `kubectl kustomize`; no cluster is contacted). Otherwise the commands run in order
// and the first that fails stops the deploy with its exit code.
//
// Neither mode deletes what the overlay no longer has (a removed function's Service, Trigger or
// PingSource): delete those by hand.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { COMPONENT_LABEL, CONFIG_COMPONENT, MIGRATION_COMPONENT, MIGRATION_JOB, SECRET, type Manifest } from './knative/generate.js';
import {
  RESOURCE,
  bindingCommand,
  brokerCommands,
  pingCommands,
  serviceCommand,
  serviceVolumePatch,
  triggerCommands,
  type KnKind,
  type ServiceSpec,
} from './knative/kn.js';
import { GATEWAY_COMPONENT, NETWORK_COMPONENT } from './knative/gateway.js';
import { OBSERVABILITY_COMPONENT } from './knative/observability.js';
import { IDENTITY_COMPONENT } from './knative/identity.js';
import { canaryTarget, currentRevisionCommand, parseTraffic, trafficCommand, type TrafficAction } from './knative/traffic.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const ENVS = ['dev', 'staging', 'prod'] as const;
export type Env = (typeof ENVS)[number];

export const USAGE = `usage: npm run deploy -- <${ENVS.join('|')}|overlay directory> [--kn] [--dry-run]
       npm run deploy -- <env> --canary=<function>:<percent> | --promote=<function> | --rollback=<function> [--dry-run]
  <env>       the overlay knative/overlays/<env> to deploy, or a directory with a kustomization.yaml
              (relative to the repository) that builds on one
  --kn        deploy with kn commands instead of \`kubectl apply -k\`
  --dry-run   print the commands, one per line, without running them
  --canary    only that function: the overlay's image as a new revision for <percent> of its traffic
              (tag candidate), the revision serving now keeps the rest (tag stable)
  --promote   only that function: the candidate takes all its traffic
  --rollback  only that function: the stable revision takes all its traffic again`;

/** A command line, as argv: run without a shell, printed shell-quoted. */
export type Command = readonly string[];

/** A manifest as `kubectl kustomize` renders it: with its namespace. */
export type Rendered = Manifest & { metadata: Manifest['metadata'] & { namespace?: string } };

export interface DeployArgs {
  /** An environment of ENVS, or the directory of an overlay (relative to the repository, or absolute). */
  env: string;
  kn: boolean;
  dryRun: boolean;
  /** `--canary=<function>:<percent>`, `--promote=<function>` or `--rollback=<function>`: one function's traffic only. */
  traffic?: TrafficAction;
}

export class UsageError extends Error {}

export const parseArgs = (args: readonly string[]): DeployArgs => {
  const flags = args.filter((a) => a.startsWith('-'));
  const positional = args.filter((a) => !a.startsWith('-'));
  const traffic = flags.flatMap((f) => {
    try {
      const t = parseTraffic(f);
      return t ? [t] : [];
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  });
  const unknown = flags.filter((f) => f !== '--kn' && f !== '--dry-run' && !parseTraffic(f));
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown.join(' ')}`);
  if (traffic.length > 1) throw new UsageError('one of --canary, --promote, --rollback at a time');
  if (positional.length !== 1) throw new UsageError(positional.length === 0 ? 'no environment given' : `one environment, not ${positional.join(' ')}`);
  const env = positional[0] as string;
  if (!isEnv(env) && !KUSTOMIZATION_FILES.some((file) => existsSync(join(resolve(root, env), file)))) {
    throw new UsageError(`unknown environment "${env}" (one of ${ENVS.join(', ')}, or a directory with a kustomization.yaml)`);
  }
  return { env, kn: flags.includes('--kn'), dryRun: flags.includes('--dry-run'), ...(traffic[0] ? { traffic: traffic[0] } : {}) };
};

const isEnv = (env: string): env is Env => (ENVS as readonly string[]).includes(env);
/** The names kustomize reads a kustomization from. */
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The overlay of `env`, relative to the repository root (the scripts run from there), or as given when absolute. */
export const overlayDir = (env: string): string => (isEnv(env) ? `knative/overlays/${env}` : isAbsolute(env) ? env : env.replace(/\/+$/, '') || '.');

// --- rendering the overlay ------------------------------------------------------------------

/** Whether `tool` is an executable file on `path` (PATH by default). */
export const onPath = (tool: string, path = process.env.PATH ?? ''): boolean =>
  path
    .split(delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(join(dir, tool), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });

export class ToolMissing extends Error {}

const requireTools = (tools: readonly string[], why: string): void => {
  const missing = tools.filter((tool) => !onPath(tool));
  if (missing.length > 0) {
    const how: Record<string, string> = {
      kubectl: 'kubectl 1.32 or later (or `oc`, linked as kubectl): https://kubernetes.io/docs/tasks/tools/',
      kn: 'the Knative CLI, kn 1.x: https://knative.dev/docs/client/install-kn/ (OpenShift: Command Line Tools in the console)',
    };
    throw new ToolMissing(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not on PATH; ${why} needs ${missing.map((t) => how[t] ?? t).join('; ')}`,
    );
  }
};

/** knative/overlays/<env> as `kubectl kustomize` renders it (locally: no cluster is contacted). */
export const renderOverlay = (env: string, cwd = root): Rendered[] => {
  const run = spawnSync('kubectl', ['kustomize', overlayDir(env)], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`kubectl kustomize ${overlayDir(env)} could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${overlayDir(env)} failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as Rendered | null)
    .filter((doc): doc is Rendered => doc !== null);
};

// --- the commands ---------------------------------------------------------------------------

const MIGRATIONS = `${COMPONENT_LABEL}=${MIGRATION_COMPONENT}`;
// The NetworkPolicies come first too: the namespace is closed before anything in it runs; and the
// identities (ServiceAccounts, the replay Role, the Broker's EventPolicies), which the Services run as.
const APPLIED_FIRST = `${COMPONENT_LABEL} in (${CONFIG_COMPONENT},${MIGRATION_COMPONENT},${NETWORK_COMPONENT},${IDENTITY_COMPONENT})`;
const GATEWAY = `${COMPONENT_LABEL}=${GATEWAY_COMPONENT}`;
const OBSERVABILITY = `${COMPONENT_LABEL}=${OBSERVABILITY_COMPONENT}`;
/** The component label each kind applied outside kn must carry, or the step that applies it would miss it. */
const COMPONENT_OF: Record<string, string> = {
  ConfigMap: CONFIG_COMPONENT,
  Job: MIGRATION_COMPONENT,
  NetworkPolicy: NETWORK_COMPONENT,
  ServiceAccount: IDENTITY_COMPONENT,
  Role: IDENTITY_COMPONENT,
  RoleBinding: IDENTITY_COMPONENT,
  EventPolicy: IDENTITY_COMPONENT,
  Gateway: GATEWAY_COMPONENT,
  HTTPRoute: GATEWAY_COMPONENT,
  OpenTelemetryCollector: OBSERVABILITY_COMPONENT,
  ServiceMonitor: OBSERVABILITY_COMPONENT,
  PrometheusRule: OBSERVABILITY_COMPONENT,
};

/** What already exists in the namespace, as `<Kind>/<name>` (`Service/billing-get-invoice`); decides create or update. */
export type Inventory = ReadonlySet<string>;

/** The command that lists what `--kn` creates or updates, and how to read its output into an Inventory. */
export const inventoryCommand = (namespace: string): Command => ['kubectl', 'get', Object.values(RESOURCE).join(','), '-n', namespace, '-o', 'name'];
export const parseInventory = (output: string): Inventory => {
  const byResource = new Map(Object.entries(RESOURCE).map(([kind, resource]) => [resource.replace(/s\./, '.'), kind]));
  const found = new Set<string>();
  for (const line of output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [type, name] = line.split('/') as [string, string | undefined];
    const kind = byResource.get(type);
    if (kind && name) found.add(`${kind}/${name}`);
  }
  return found;
};

const namespaceOf = (docs: readonly Rendered[]): string => {
  const namespaces = [...new Set(docs.map((d) => d.metadata.namespace))];
  if (namespaces.length !== 1 || !namespaces[0])
    throw new Error(`the overlay must put every resource in one namespace (found ${namespaces.map(String).join(', ')})`);
  return namespaces[0];
};

const label = (doc: Rendered, key: string): string | undefined => doc.metadata.labels?.[key];
const ofKind = (docs: readonly Rendered[], kind: string): Rendered[] => docs.filter((d) => d.kind === kind);

/** The commands that run before the functions in both modes: Secret check, ConfigMaps, migrations. */
const preparation = (env: string, docs: readonly Rendered[], namespace: string): Command[] => {
  const jobs = ofKind(docs, 'Job');
  for (const doc of docs) {
    const expected = COMPONENT_OF[doc.kind];
    if (expected && label(doc, COMPONENT_LABEL) !== expected)
      throw new Error(`${doc.kind} ${doc.metadata.name} is not labelled ${COMPONENT_LABEL}=${expected}: it would not be applied in its step`);
  }
  // A Job that ends past its deadline has failed; the wait gives up a minute after the longest one.
  const deadline = Math.max(
    0,
    ...jobs.map((j) => Number((j.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds ?? MIGRATION_JOB.activeDeadlineSeconds)),
  );
  return [
    ['kubectl', 'get', 'secret', SECRET, '-n', namespace, '-o', 'name'],
    ...(jobs.length > 0 ? [['kubectl', 'delete', 'job', '-n', namespace, '-l', MIGRATIONS, '--ignore-not-found']] : []),
    ['kubectl', 'apply', '-k', overlayDir(env), '-l', APPLIED_FIRST],
    ...(jobs.length > 0 ? [['kubectl', 'wait', 'job', '-n', namespace, '-l', MIGRATIONS, '--for=condition=complete', `--timeout=${deadline + 60}s`]] : []),
  ];
};

export interface PlanOptions {
  /** kn commands instead of `kubectl apply -k`. */
  kn?: boolean;
  /** What exists in the namespace (`--kn`: update instead of create). Default: nothing. */
  existing?: Inventory;
}

/**
 * Every command that deploys `env`, in order, from the overlay as rendered (`docs`). Pure: it runs
 * nothing. Throws when `--kn` cannot express a resource of the overlay.
 */
export const deployCommands = (env: string, docs: readonly Rendered[], options: PlanOptions = {}): Command[] => {
  const namespace = namespaceOf(docs);
  const first = preparation(env, docs, namespace);
  if (!options.kn) return [...first, ['kubectl', 'apply', '-k', overlayDir(env)]];

  const existing = options.existing ?? new Set<string>();
  const exists = (kind: KnKind, name: string) => existing.has(`${kind}/${name}`);
  const handled = new Set([...Object.keys(COMPONENT_OF), ...Object.keys(RESOURCE)]);
  const other = docs.filter((d) => !handled.has(d.kind));
  if (other.length > 0)
    throw new Error(`the kn commands cannot deploy ${other.map((d) => `${d.kind} ${d.metadata.name}`).join(', ')}: deploy with kubectl (no --kn)`);
  const byName = (a: Rendered, b: Rendered) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
  const each = (kind: KnKind) => ofKind(docs, kind).sort(byName);

  const brokers = each('Broker').map((d) => brokerCommands(d, namespace, exists('Broker', d.metadata.name)));

  // kn reads every sink it is given (`broker:`, `ksvc:`), so each comes after what it names.
  return [
    ...first,
    // kn has no command for the telemetry either: the collector is up before the first function exports.
    ...(docs.some((d) => COMPONENT_OF[d.kind] === OBSERVABILITY_COMPONENT) ? [['kubectl', 'apply', '-k', overlayDir(env), '-l', OBSERVABILITY]] : []),
    ...brokers.map((b) => b.first),
    // Before the Services, so that their first revision already has K_SINK (the binding's webhook
    // injects it when a Service is created) instead of getting it in a second revision.
    ...each('SinkBinding').map((d) => bindingCommand(d, namespace, exists('SinkBinding', d.metadata.name))),
    ...each('Service').flatMap((d) => [serviceCommand(d, namespace, exists('Service', d.metadata.name)), ...serviceVolumePatch(d, namespace)]),
    ...brokers.flatMap((b) => b.deadLetters),
    ...each('Trigger').flatMap((d) => triggerCommands(d, namespace, exists('Trigger', d.metadata.name))),
    ...each('PingSource').flatMap((d) => pingCommands(d, namespace, exists('PingSource', d.metadata.name))),
    // kn has no command for the Gateway API: the door opens last, onto Services that exist.
    ...(docs.some((d) => COMPONENT_OF[d.kind] === GATEWAY_COMPONENT) ? [['kubectl', 'apply', '-k', overlayDir(env), '-l', GATEWAY]] : []),
  ];
};

// --- printing and running -------------------------------------------------------------------

/** A command line as a POSIX shell reads it back. */
export const formatCommand = (command: Command): string =>
  command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');

export type Exec = (command: Command) => Pick<SpawnSyncReturns<unknown>, 'status' | 'signal' | 'error'>;

const spawnExec: Exec = (command) => spawnSync(command[0] as string, command.slice(1), { cwd: root, stdio: 'inherit' });

/** What to do when `command` failed, for the steps where the exit code alone does not say. */
const hintFor = (command: Command, namespace: string): string | undefined => {
  const line = command.join(' ');
  if (line.startsWith(`kubectl get secret ${SECRET}`)) {
    return (
      `the cluster was not reachable or the Secret ${SECRET} is not in ${namespace} (kubectl's message above says which); ` +
      `create it with: kubectl create secret generic ${SECRET} -n ${namespace} --from-env-file=secrets.env (DATABASE_URL or <CONTEXT>_DATABASE_URL, JWT_SECRET)`
    );
  }
  if (line.startsWith('kubectl wait job')) return `a migration did not complete: kubectl logs -n ${namespace} -l ${MIGRATIONS} --tail=100`;
  return undefined;
};

/** Runs `commands` in order and stops at the first that fails; returns 0 or that command's exit code. */
export const runCommands = (
  commands: readonly Command[],
  exec: Exec = spawnExec,
  log: (line: string) => void = (l) => console.error(l),
  namespace = '',
): number => {
  for (const [i, command] of commands.entries()) {
    log(`+ ${formatCommand(command)}`);
    const result = exec(command);
    if (result.error) {
      log(`deploy: ${command[0]} could not run: ${result.error.message}`);
      return 127;
    }
    if (result.status !== 0) {
      const code = result.status ?? 1;
      log(`deploy: step ${i + 1} of ${commands.length} failed (${result.signal ? `signal ${result.signal}` : `exit code ${code}`}): ${formatCommand(command)}`);
      const hint = hintFor(command, namespace);
      if (hint) log(`deploy: ${hint}`);
      return code;
    }
  }
  return 0;
};

const inventory = (namespace: string): Inventory => {
  const command = inventoryCommand(namespace);
  const run = spawnSync(command[0] as string, command.slice(1), { cwd: root, encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    throw new Error(
      `${formatCommand(command)} failed (are Knative Serving and Eventing installed, and may you read ${namespace}?):\n${run.stderr ?? run.error?.message}`,
    );
  }
  return parseInventory(run.stdout);
};

/**
 * `--canary`, `--promote` or `--rollback` of one function: one kn command. A canary first reads the
 * revision serving now, and runs the overlay's migrations as a deploy does: the candidate's schema
 * is in place before it takes a request (and must be one the stable revision still reads).
 */
const shiftTraffic = (traffic: TrafficAction, docs: readonly Rendered[], namespace: string, dryRun: boolean, env: string): number => {
  const svc = canaryTarget(docs, traffic);
  const image = (svc.spec as ServiceSpec).template.spec.containers[0]?.image ?? '';
  if (!onPath('kn') && !dryRun) throw new ToolMissing('kn is not on PATH; --canary, --promote and --rollback run kn service update');
  let stable: string | undefined = '<the revision serving now>';
  if (traffic.action === 'canary') {
    const read = currentRevisionCommand(traffic.fn, namespace);
    if (dryRun) console.log(formatCommand(read));
    else {
      const run = spawnSync(read[0] as string, read.slice(1), { cwd: root, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${formatCommand(read)} failed:\n${run.stderr ?? run.error?.message}`);
      stable = run.stdout.trim() || undefined;
    }
  }
  const commands = [...(traffic.action === 'canary' ? preparation(env, docs, namespace) : []), trafficCommand(traffic, namespace, image, stable)];
  if (dryRun) {
    for (const command of commands) console.log(formatCommand(command));
    return 0;
  }
  return runCommands(commands, spawnExec, (l) => console.error(l), namespace);
};

const main = (argv: readonly string[]): number => {
  let args: DeployArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`deploy: ${error.message}\n${USAGE}`);
    return 2;
  }
  // Rendering the overlay needs kubectl even for --dry-run; --kn runs kubectl too (Secret,
  // ConfigMaps, Jobs, patches).
  requireTools(args.dryRun || !args.kn ? ['kubectl'] : ['kubectl', 'kn'], args.dryRun ? 'rendering the overlay' : args.kn ? 'deploy --kn' : 'deploy');
  const docs = renderOverlay(args.env);
  const namespace = namespaceOf(docs);
  if (args.traffic) return shiftTraffic(args.traffic, docs, namespace, args.dryRun, args.env);
  if (args.dryRun) {
    if (args.kn) console.error(`deploy: dry run, nothing exists yet in ${namespace} as far as it knows: a real run updates what exists instead of creating it`);
    for (const command of deployCommands(args.env, docs, { kn: args.kn })) console.log(formatCommand(command));
    return 0;
  }
  const commands = deployCommands(args.env, docs, { kn: args.kn, existing: args.kn ? inventory(namespace) : undefined });
  console.error(`deploy: ${args.env} to namespace ${namespace}${args.kn ? ' with kn' : ''}, ${commands.length} commands`);
  const code = runCommands(commands, spawnExec, (l) => console.error(l), namespace);
  if (code === 0) console.error(`deploy: ${args.env} deployed`);
  return code;
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof ToolMissing ? 127 : 1;
  }
}
