// Deploying to OpenShift Serverless: knative/openshift (the operator resources a cluster
// administrator applies, the operators' subscriptions, the example Kafka cluster) as
// `kubectl kustomize` renders it; the prod overlay's Broker, ordering and scale; and the commands of
// README.md's "Deploy to OpenShift Serverless" against the manifests they act on. The operator
// resources have no CRD schema in knative/schemas, so their shape is checked by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { assertValidData, definitionOf, fromHttp } from '../../events/index.js';
import { registry } from '../../functions/index.js';
import { parseRoute } from '../../functions/runtime/route.js';
import { deployCommands, formatCommand, parseArgs, renderOverlay, type Rendered } from '../deploy.js';
import { listFiles } from './generate.js';
import { routeRequest } from './gateway-match.js';
import { coreSchemaErrors } from './schema-testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

// --- rendering ------------------------------------------------------------------------------

const kustomize = (dir: string): Rendered[] => {
  const run = spawnSync('kubectl', ['kustomize', dir], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`kubectl kustomize ${dir} could not run (kubectl 1.32 or later on PATH): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as Rendered | null)
    .filter((doc): doc is Rendered => doc !== null);
};

const rendered = new Map<string, Rendered[]>();
const docsOf = (dir: string): Rendered[] => {
  let docs = rendered.get(dir);
  if (!docs) rendered.set(dir, (docs = dir === 'knative/overlays/prod' ? renderOverlay('prod') : kustomize(dir)));
  return docs;
};
const prod = () => docsOf('knative/overlays/prod');
const ofKind = (docs: readonly Rendered[], kind: string): Rendered[] => docs.filter((d) => d.kind === kind);
const one = (docs: readonly Rendered[], kind: string, name?: string): Rendered => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (found.length !== 1) throw new Error(`${found.length} ${kind}${name ? ` ${name}` : ''}, not one`);
  return found[0] as Rendered;
};
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);

const prodNamespace = () => one(prod(), 'Broker').metadata.namespace as string;
const brokerConfig = () => {
  const name = at(one(prod(), 'Broker').spec, 'config', 'name') as string;
  return one(prod(), 'ConfigMap', name).data ?? {};
};
const minScale = (svc: Rendered): unknown => at(svc.spec, 'template', 'metadata', 'annotations', 'autoscaling.knative.dev/min-scale');
const DELIVERY_ORDER = 'kafka.eventing.knative.dev/delivery.order';

// --- the operator resources, by hand ----------------------------------------------------------

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const BOOTSTRAP = /^[a-z0-9.-]+:\d+(,[a-z0-9.-]+:\d+)*$/;

// Fields of the operators' spec types (knative.dev/operator CommonSpec and the per-kind ones, the
// OpenShift Serverless KnativeKafkaSpec); anything else is a typo the API server would drop.
const COMMON_SPEC = [
  'config',
  'registry',
  'resources',
  'deployments',
  'namespace',
  'workloads',
  'services',
  'version',
  'manifests',
  'additionalManifests',
  'high-availability',
  'podDisruptionBudgets',
];
const OPERATOR_RESOURCES: Record<string, { apiVersion: string; name: string; namespace: string; spec: string[]; configMaps: string[] }> = {
  KnativeServing: {
    apiVersion: 'operator.knative.dev/v1beta1',
    name: 'knative-serving',
    namespace: 'knative-serving',
    spec: [...COMMON_SPEC, 'controller-custom-certs', 'ingress', 'security'],
    configMaps: [
      'autoscaler',
      'defaults',
      'deployment',
      'domain',
      'features',
      'gc',
      'logging',
      'network',
      'observability',
      'tracing',
      'certmanager',
      'leader-election',
      'istio',
      'kourier',
    ],
  },
  KnativeEventing: {
    apiVersion: 'operator.knative.dev/v1beta1',
    name: 'knative-eventing',
    namespace: 'knative-eventing',
    spec: [...COMMON_SPEC, 'defaultBrokerClass', 'sinkBindingSelectionMode', 'source'],
    configMaps: [
      'features',
      'br-defaults',
      'br-default-channel',
      'default-ch-webhook',
      'ping-defaults',
      'logging',
      'observability',
      'tracing',
      'leader-election',
      'sugar',
    ],
  },
  KnativeKafka: {
    apiVersion: 'operator.serverless.openshift.io/v1alpha1',
    name: 'knative-kafka',
    namespace: 'knative-eventing',
    spec: ['broker', 'source', 'sink', 'channel', 'config', 'high-availability', 'logging', 'workloads'],
    configMaps: ['kafka-features', 'kafka-broker-config', 'kafka-channel-config', 'logging', 'observability', 'tracing', 'leader-election'],
  },
};

/** What the operator would refuse or drop in a KnativeServing, KnativeEventing or KnativeKafka. */
const operatorProblems = (doc: Rendered): string[] => {
  const where = `${doc.kind} ${doc.metadata.name}`;
  const expected = OPERATOR_RESOURCES[doc.kind];
  if (!expected) return [`${where} is not an operator resource`];
  const problems: string[] = [];
  if (doc.apiVersion !== expected.apiVersion) problems.push(`${where} apiVersion ${doc.apiVersion}, not ${expected.apiVersion}`);
  if (doc.metadata.name !== expected.name) problems.push(`${where} is not named ${expected.name}`);
  if (doc.metadata.namespace !== expected.namespace) problems.push(`${where} is in ${doc.metadata.namespace}, not ${expected.namespace}`);
  const spec: unknown = doc.spec ?? {};
  if (!isRecord(spec)) return [...problems, `${where} spec is not an object`];
  for (const key of Object.keys(spec)) if (!expected.spec.includes(key)) problems.push(`${where} spec.${key} is not a field`);
  const ha = spec['high-availability'];
  if (ha !== undefined && !(isRecord(ha) && isCount(ha.replicas))) problems.push(`${where} high-availability.replicas is not a positive integer`);
  const config = spec.config;
  if (config !== undefined) {
    if (!isRecord(config)) problems.push(`${where} config is not a map of ConfigMaps`);
    else {
      for (const [name, data] of Object.entries(config)) {
        if (!expected.configMaps.includes(name.replace(/^config-/, ''))) problems.push(`${where} config.${name} is not a ConfigMap of ${doc.kind}`);
        if (!isRecord(data)) problems.push(`${where} config.${name} is not a map`);
        else for (const [key, value] of Object.entries(data)) if (typeof value !== 'string') problems.push(`${where} config.${name}.${key} is not a string`);
      }
    }
  }
  if (doc.kind === 'KnativeEventing') {
    const mode = spec.sinkBindingSelectionMode;
    if (mode !== undefined && mode !== 'inclusion' && mode !== 'exclusion') problems.push(`${where} sinkBindingSelectionMode ${JSON.stringify(mode)}`);
  }
  if (doc.kind === 'KnativeKafka') {
    for (const component of ['broker', 'source', 'sink', 'channel']) {
      const c = spec[component];
      if (c === undefined) continue;
      if (!isRecord(c) || typeof c.enabled !== 'boolean') problems.push(`${where} ${component}.enabled is required, true or false`);
    }
    const channel = spec.channel;
    if (isRecord(channel)) {
      if (channel.enabled === true && !(typeof channel.bootstrapServers === 'string' && BOOTSTRAP.test(channel.bootstrapServers))) {
        problems.push(`${where} channel.bootstrapServers is required when the channel is enabled`);
      }
      if ((channel.authSecretName === undefined) !== (channel.authSecretNamespace === undefined))
        problems.push(`${where} channel.authSecretName and authSecretNamespace go together`);
    }
    const broker = spec.broker;
    if (isRecord(broker) && broker.enabled === true) {
      const d = broker.defaultConfig;
      if (!isRecord(d)) problems.push(`${where} broker.defaultConfig is required when the broker is enabled`);
      else {
        if (!(typeof d.bootstrapServers === 'string' && BOOTSTRAP.test(d.bootstrapServers)))
          problems.push(`${where} broker.defaultConfig.bootstrapServers is not host:port[,host:port]`);
        if (!isCount(d.numPartitions)) problems.push(`${where} broker.defaultConfig.numPartitions is not a positive integer`);
        if (!isCount(d.replicationFactor)) problems.push(`${where} broker.defaultConfig.replicationFactor is not a positive integer`);
        if (d.authSecretName !== undefined && (typeof d.authSecretName !== 'string' || d.authSecretName === ''))
          problems.push(`${where} broker.defaultConfig.authSecretName is empty`);
      }
    }
  }
  return problems;
};

describe('kubectl kustomize knative/openshift', () => {
  const docs = () => docsOf('knative/openshift');

  it('renders KnativeServing, KnativeEventing and KnativeKafka in the namespaces the operator accepts, and those namespaces', () => {
    expect(
      docs()
        .map((d) => `${d.apiVersion} ${d.kind} ${d.metadata.namespace ?? '-'}/${d.metadata.name}`)
        .sort(),
    ).toEqual([
      'operator.knative.dev/v1beta1 KnativeEventing knative-eventing/knative-eventing',
      'operator.knative.dev/v1beta1 KnativeServing knative-serving/knative-serving',
      'operator.serverless.openshift.io/v1alpha1 KnativeKafka knative-eventing/knative-kafka',
      'v1 Namespace -/knative-eventing',
      'v1 Namespace -/knative-serving',
    ]);
  });

  it('gives each operator resource the shape its operator reads', () => {
    for (const kind of Object.keys(OPERATOR_RESOURCES)) expect(operatorProblems(one(docs(), kind)), kind).toEqual([]);
  });

  it('finds what the operator would refuse', () => {
    const kafka = structuredClone(one(docs(), 'KnativeKafka'));
    const spec = kafka.spec as Record<string, Record<string, unknown>>;
    delete spec.source?.enabled;
    spec.channel = { enabled: true };
    spec.broker = { enabled: true, defaultConfig: { bootstrapServers: 'kafka', numPartitions: 0, replicationFactor: '3' } };
    spec.brokers = {};
    kafka.metadata.namespace = 'gotuto-prod';
    expect(operatorProblems(kafka)).toEqual([
      'KnativeKafka knative-kafka is in gotuto-prod, not knative-eventing',
      'KnativeKafka knative-kafka spec.brokers is not a field',
      'KnativeKafka knative-kafka source.enabled is required, true or false',
      'KnativeKafka knative-kafka channel.bootstrapServers is required when the channel is enabled',
      'KnativeKafka knative-kafka broker.defaultConfig.bootstrapServers is not host:port[,host:port]',
      'KnativeKafka knative-kafka broker.defaultConfig.numPartitions is not a positive integer',
      'KnativeKafka knative-kafka broker.defaultConfig.replicationFactor is not a positive integer',
    ]);
    const serving = structuredClone(one(docs(), 'KnativeServing'));
    serving.apiVersion = 'operator.knative.dev/v1alpha1';
    serving.spec = { config: { autoscalar: {}, network: { 'http-protocol': true } }, 'high-availability': { replicas: 0 } };
    expect(operatorProblems(serving)).toEqual([
      'KnativeServing knative-serving apiVersion operator.knative.dev/v1alpha1, not operator.knative.dev/v1beta1',
      'KnativeServing knative-serving high-availability.replicas is not a positive integer',
      'KnativeServing knative-serving config.autoscalar is not a ConfigMap of KnativeServing',
      'KnativeServing knative-serving config.network.http-protocol is not a string',
    ]);
  });

  it("enables the Kafka broker, source and sink, on the prod overlay's Kafka, partitions and replication factor 3", () => {
    const spec = one(docs(), 'KnativeKafka').spec;
    expect(at(spec, 'broker', 'enabled')).toBe(true);
    expect(at(spec, 'source', 'enabled')).toBe(true);
    expect(at(spec, 'sink', 'enabled')).toBe(true);
    const config = brokerConfig();
    expect(at(spec, 'broker', 'defaultConfig')).toEqual({
      bootstrapServers: config['bootstrap.servers'],
      numPartitions: Number(config['default.topic.partitions']),
      replicationFactor: 3,
    });
    expect(config['default.topic.replication.factor']).toBe('3');
  });

  it('lets the SinkBinding in only where a namespace asks, and lets every Trigger have its timeout', () => {
    const eventing = one(docs(), 'KnativeEventing');
    expect(at(eventing.spec, 'sinkBindingSelectionMode')).toBe('inclusion');
    expect(at(eventing.spec, 'config', 'config-features', 'delivery-timeout')).toBe('enabled');
    for (const trigger of ofKind(prod(), 'Trigger')) expect(at(trigger.spec, 'delivery', 'timeout'), trigger.metadata.name).toBeDefined();
  });
});

describe('kubectl kustomize knative/openshift/kafka (the assumed Kafka cluster)', () => {
  const docs = () => docsOf('knative/openshift/kafka');

  it('is the AMQ Streams cluster whose bootstrap Service the prod overlay names', () => {
    const kafka = one(docs(), 'Kafka');
    expect(kafka.apiVersion).toBe('kafka.strimzi.io/v1beta2');
    const plain = (at(kafka.spec, 'kafka', 'listeners') as { name: string; port: number; type: string; tls: boolean }[]).find(
      (l) => !l.tls && l.type === 'internal',
    );
    // Strimzi names the bootstrap Service <cluster>-kafka-bootstrap, in the cluster's namespace.
    expect(`${kafka.metadata.name}-kafka-bootstrap.${kafka.metadata.namespace}:${plain?.port}`).toBe(brokerConfig()['bootstrap.servers']);
    expect(ofKind(docs(), 'Namespace').map((n) => n.metadata.name)).toEqual([kafka.metadata.namespace]);
  });

  it("runs KRaft on node pools with enough brokers for the topics' replication factor", () => {
    const kafka = one(docs(), 'Kafka');
    expect(kafka.metadata.annotations).toMatchObject({ 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' });
    const pools = ofKind(docs(), 'KafkaNodePool').filter((p) => p.metadata.labels?.['strimzi.io/cluster'] === kafka.metadata.name);
    const roles = (p: Rendered) => at(p.spec, 'roles') as string[];
    const brokers = pools.filter((p) => roles(p).includes('broker')).reduce((n, p) => n + (at(p.spec, 'replicas') as number), 0);
    expect(brokers).toBeGreaterThanOrEqual(Number(brokerConfig()['default.topic.replication.factor']));
    expect(pools.some((p) => roles(p).includes('controller'))).toBe(true);
    for (const pool of pools) expect(pool.metadata.namespace).toBe(kafka.metadata.namespace);
  });

  it('defaults every topic to what the prod Broker asks for its own', () => {
    const config = at(one(docs(), 'Kafka').spec, 'kafka', 'config') as Record<string, unknown>;
    const broker = brokerConfig();
    expect(String(config['default.replication.factor'])).toBe(broker['default.topic.replication.factor']);
    expect(String(config['min.insync.replicas'])).toBe(broker['default.topic.config.min.insync.replicas']);
    expect(String(Number(config['log.retention.hours']) * 3_600_000)).toBe(broker['default.topic.config.retention.ms']);
    // The Broker's topic is created by the Knative Kafka control plane, never on first use.
    expect(config['auto.create.topics.enable']).toBe(false);
  });
});

describe('kubectl kustomize knative/openshift/operators', () => {
  it('subscribes to OpenShift Serverless and AMQ Streams from the Red Hat catalog', () => {
    const docs = docsOf('knative/openshift/operators');
    const subscriptions = ofKind(docs, 'Subscription');
    expect(subscriptions.map((s) => `${s.metadata.namespace}/${String(at(s.spec, 'name'))}`).sort()).toEqual([
      'openshift-operators/amq-streams',
      'openshift-serverless/serverless-operator',
    ]);
    for (const s of subscriptions) {
      expect(s.apiVersion).toBe('operators.coreos.com/v1alpha1');
      expect(s.spec).toMatchObject({ channel: 'stable', source: 'redhat-operators', sourceNamespace: 'openshift-marketplace' });
    }
    // OLM installs an operator only where an OperatorGroup is; openshift-operators has its own.
    expect(one(docs, 'OperatorGroup').metadata.namespace).toBe('openshift-serverless');
    expect(ofKind(docs, 'Namespace').map((n) => n.metadata.name)).toEqual(['openshift-serverless']);
  });
});

// --- the prod overlay -----------------------------------------------------------------------

describe('the prod overlay', () => {
  it('has a Kafka-class Broker whose topic is replicated three times, two replicas in sync, kept seven days', () => {
    const broker = one(prod(), 'Broker');
    expect(broker.metadata.annotations?.['eventing.knative.dev/broker.class']).toBe('Kafka');
    expect(brokerConfig()).toMatchObject({
      'default.topic.partitions': '10',
      'default.topic.replication.factor': '3',
      'default.topic.config.min.insync.replicas': '2',
      'default.topic.config.retention.ms': String(7 * 24 * 3_600_000),
    });
    // No longer than the handlers' inbox remembers an event (MESSAGING_RETENTION_DAYS).
    const days = Number(one(prod(), 'ConfigMap', 'gotuto-config').data?.MESSAGING_RETENTION_DAYS);
    expect(Number(brokerConfig()['default.topic.config.retention.ms'])).toBeLessThanOrEqual(days * 24 * 3_600_000);
  });

  it("orders Order's invoice-status Trigger, the one with several events of one subject, and keeps the other Triggers as the base has them", () => {
    const base = new Map(ofKind(kustomize('knative/base'), 'Trigger').map((t) => [t.metadata.name, t.metadata.annotations?.[DELIVERY_ORDER]]));
    const triggers = ofKind(prod(), 'Trigger');
    const ordered = triggers.filter((t) => t.metadata.name === 'order-on-invoice-status-changed');
    expect(ordered).toHaveLength(1);
    expect(base.get('order-on-invoice-status-changed')).toBe('unordered');
    for (const t of ordered) expect(t.metadata.annotations?.[DELIVERY_ORDER], t.metadata.name).toBe('ordered');
    // The saga's Triggers up to confirmed stay unordered: what a shopper waits (knative/README.md).
    for (const name of ['inventory-on-order-placed', 'order-on-stock-reserved', 'billing-on-invoice-requested', 'order-on-invoice-created'])
      expect(triggers.find((t) => t.metadata.name === name)?.metadata.annotations?.[DELIVERY_ORDER], name).toBe('unordered');
    for (const t of triggers.filter((x) => !ordered.includes(x)))
      expect(t.metadata.annotations?.[DELIVERY_ORDER], t.metadata.name).toBe(base.get(t.metadata.name));
  });

  it("points Order's Catalog call at the Catalog function inside the cluster", () => {
    const url = new URL(one(prod(), 'ConfigMap', 'gotuto-config').data?.CATALOG_URL ?? '');
    // The Service's cluster-local host, which Knative's cluster-local ingress routes on.
    const [service = '', namespace, ...domain] = url.hostname.split('.');
    expect([url.protocol, namespace, domain.join('.')]).toEqual(['http:', prodNamespace(), 'svc.cluster.local']);
    const fn = registry.find((f) => f.name === service);
    expect(fn?.definition.kind === 'handler' ? undefined : fn?.definition.route).toBe('POST /catalog/products/validate');
    expect(ofKind(prod(), 'Service').map((s) => s.metadata.name)).toContain(service);
  });
});

// --- README.md: Deploy to OpenShift Serverless ----------------------------------------------

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const section = (() => {
  const start = readme.indexOf('\n## Deploy to OpenShift Serverless\n');
  if (start < 0) throw new Error('README.md has no section "## Deploy to OpenShift Serverless"');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
})();

/** The `sh` code blocks of a markdown text, unindented. */
const shellBlocks = (markdown: string): string[] =>
  [...markdown.matchAll(/^( *)```sh\n([\s\S]*?)^\1```/gm)].map(([, indent = '', body = '']) =>
    body
      .split('\n')
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line))
      .join('\n'),
  );

/** The text of `$( ... )` starting at `from` (just after the `$(`), and where it ends. */
const substitution = (text: string, from: number): [string, number] => {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === "'") i = text.indexOf("'", i + 1);
    else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return [text.slice(from, i), i];
    if (i < 0) break;
  }
  throw new Error(`unbalanced $( in ${text.slice(from - 2, from + 60)}`);
};

/**
 * The simple commands of a shell text, as their words with the quotes removed (`$VAR` and
 * `$( ... )` are kept as written), the commands inside `$( ... )` included. Shell keywords that
 * start a command (`until`, `do`, ...) and redirections are left out.
 */
const shellCommands = (text: string): string[][] => {
  const commands: string[][] = [];
  let command: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word !== undefined && !/^\d*>/.test(word)) command.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    while (['until', 'while', 'do', 'done', 'then', 'if', 'fi', '!'].includes(command[0] ?? '')) command.shift();
    if (command.length > 0) commands.push(command);
    command = [];
  };
  const src = text.replace(/\\\n/g, ' ');
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t') endWord();
    else if (c === '\n' || c === ';' || c === '|' || (c === '&' && src[i + 1] === '&')) {
      if (c === '&' || (c === '|' && src[i + 1] === '|')) i++;
      endCommand();
    } else if (c === '#' && word === undefined) i = src.includes('\n', i) ? src.indexOf('\n', i) - 1 : src.length;
    else if (c === "'") {
      const close = src.indexOf("'", i + 1);
      word = (word ?? '') + src.slice(i + 1, close);
      i = close;
    } else if (c === '"') {
      word ??= '';
      for (i++; i < src.length && src[i] !== '"'; i++) {
        if (src[i] === '\\' && '"\\$`'.includes(src[i + 1] ?? '')) word += src[++i];
        else if (src[i] === '$' && src[i + 1] === '(') {
          const [inner, end] = substitution(src, i + 2);
          commands.push(...shellCommands(inner));
          word += `$(${inner})`;
          i = end;
        } else word += src[i];
      }
    } else if (c === '$' && src[i + 1] === '(') {
      const [inner, end] = substitution(src, i + 2);
      commands.push(...shellCommands(inner));
      word = `${word ?? ''}$(${inner})`;
      i = end;
    } else if (c === '\\') word = (word ?? '') + (src[++i] ?? '');
    else word = (word ?? '') + c;
  }
  endCommand();
  return commands;
};

const blocks = shellBlocks(section);
const commands = blocks.flatMap(shellCommands);
const starting = (...prefix: string[]) => commands.filter((c) => prefix.every((p, i) => c[i] === p));
/** The value after `flag`, every time it occurs. */
const values = (command: readonly string[], flag: string): string[] =>
  command.flatMap((arg, i) => (arg === flag && command[i + 1] !== undefined ? [command[i + 1] as string] : []));

/** `| function | min-scale | ... |` rows: each function named in the first cell, with the second cell. */
const warmTable = (markdown: string): Map<string, string> => {
  const lines = markdown.split('\n');
  const header = lines.findIndex((l) => /^\|\s*function\s*\|\s*min-scale\s*\|/.test(l));
  if (header < 0) throw new Error('no "| function | min-scale |" table');
  const table = new Map<string, string>();
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [names = '', scale = ''] = line
      .split('|')
      .slice(1)
      .map((cell) => cell.trim());
    for (const [, name] of names.matchAll(/`([a-z0-9-]+)`/g)) table.set(name as string, scale);
  }
  return table;
};

describe('README.md, Deploy to OpenShift Serverless', () => {
  it('is shell that parses', () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks) {
      const check = spawnSync('sh', ['-n'], { input: block, encoding: 'utf8' });
      expect(check.status, `${block}\n${check.stderr}`).toBe(0);
    }
  });

  it('applies kustomizations that exist and render: the operators, the Kafka, knative/openshift, observability, the prod overlay', () => {
    const applied = [...new Set(commands.flatMap((c) => (c[0] === 'oc' && c[1] === 'apply' ? values(c, '-k') : [])))];
    expect(applied.sort()).toEqual([
      'knative/openshift',
      'knative/openshift/gateway',
      'knative/openshift/kafka',
      'knative/openshift/observability',
      'knative/openshift/observability/operators',
      'knative/openshift/operators',
      'knative/overlays/prod',
    ]);
    for (const dir of applied) expect(docsOf(dir).length, dir).toBeGreaterThan(0);
  });

  it('waits for resource types and resources that those kustomizations have', () => {
    const crs = ['knative/openshift', 'knative/openshift/kafka'].flatMap(docsOf).filter((d) => d.apiVersion.includes('/') && d.kind !== 'KafkaNodePool');
    const crds = starting('oc', 'get', 'crd')[0]?.slice(3) ?? [];
    expect(crds.sort()).toEqual(crs.map((d) => `${d.kind.toLowerCase()}s.${d.apiVersion.split('/')[0]}`).sort());
    const waits = starting('oc', 'wait').filter((c) => /^[a-z]+\/[a-z0-9-]+$/.test(c[2] ?? ''));
    expect(waits.map((c) => c[2]).sort()).toEqual(crs.map((d) => `${d.kind.toLowerCase()}/${d.metadata.name}`).sort());
    for (const c of waits) {
      const [kind, name] = (c[2] as string).split('/');
      const doc = crs.find((d) => d.kind.toLowerCase() === kind && d.metadata.name === name) as Rendered;
      expect(values(c, '-n'), formatCommand(c)).toEqual([doc.metadata.namespace]);
      expect(values(c, '--for'), formatCommand(c)).toEqual([]);
      expect(c).toContain('--for=condition=Ready');
    }
    // KnativeKafka needs KnativeEventing: the apply that creates it comes after waiting for that.
    const lines = blocks.join('\n').split('\n');
    const eventingReady = lines.findIndex((l) => l.startsWith('oc wait knativeeventing/'));
    expect(lines.findIndex((l, i) => i > eventingReady && l === 'oc apply -k knative/openshift')).toBeGreaterThan(eventingReady);
  });

  it("creates and labels the overlay's namespace for the SinkBinding", () => {
    const namespace = prodNamespace();
    expect(starting('oc', 'new-project')).toEqual([['oc', 'new-project', namespace]]);
    expect(starting('oc', 'label', 'namespace')).toEqual([['oc', 'label', 'namespace', namespace, 'bindings.knative.dev/include=true']]);
    const binding = one(prod(), 'SinkBinding');
    expect(at(binding.spec, 'sink', 'ref', 'name')).toBe(one(prod(), 'Broker').metadata.name);
  });

  it('creates the Secret that every function and migration Job reads, with keys the code reads', () => {
    const [create, ...more] = starting('oc', 'create', 'secret', 'generic');
    expect(more).toEqual([]);
    const name = create?.[4];
    const consumers = [...ofKind(prod(), 'Service'), ...ofKind(prod(), 'Job')];
    const envFrom = (d: Rendered) =>
      ((at(d.spec, 'template', 'spec', 'containers') as { envFrom?: { secretRef?: { name: string } }[] }[])[0]?.envFrom ?? []).flatMap((e) =>
        e.secretRef ? [e.secretRef.name] : [],
      );
    expect(consumers.length).toBeGreaterThan(registry.length);
    for (const d of consumers) expect(envFrom(d), `${d.kind} ${d.metadata.name}`).toEqual([name]);
    expect(values(create ?? [], '-n')).toEqual([prodNamespace()]);

    const keys = (create ?? []).filter((w) => w.startsWith('--from-literal=')).map((w) => w.slice('--from-literal='.length).split('=')[0] as string);
    expect(keys).toEqual(expect.arrayContaining(['DATABASE_URL', 'JWT_SECRET']));
    const code = [
      ...listFiles(join(root, 'functions'))
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('test-support'))
        .map((f) => join(root, 'functions', f)),
      join(root, 'scripts', 'migrate.ts'),
    ].map((file) => readFileSync(file, 'utf8'));
    const config = one(prod(), 'ConfigMap', 'gotuto-config').data ?? {};
    for (const key of keys) {
      expect(
        code.some((text) => new RegExp(`\\b${key}\\b`).test(text)),
        `${key} is read by no function`,
      ).toBe(true);
      expect(config[key], `${key} is also in gotuto-config`).toBeUndefined();
    }
  });

  it('builds and pushes the image under the name and tag the overlay deploys', () => {
    const overlay = parse(readFileSync(join(root, 'knative/overlays/prod/kustomization.yaml'), 'utf8')) as {
      images: { name: string; newName: string; newTag: string }[];
    };
    const image = overlay.images.find((i) => i.name === 'gotuto-functions');
    const tagLine =
      blocks
        .join('\n')
        .split('\n')
        .find((l) => l.startsWith('TAG=')) ?? '';
    const tag = spawnSync('sh', ['-c', `${tagLine}\nprintf %s "$TAG"`], { cwd: root, encoding: 'utf8' });
    expect(tag.stdout).toBe(image?.newTag);
    const [build] = starting('podman', 'build');
    expect(values(build ?? [], '-f')).toEqual(['Containerfile']);
    expect(existsSync(join(root, 'Containerfile'))).toBe(true);
    expect(values(build ?? [], '-t')).toEqual([`${image?.newName}:$TAG`]);
    expect(build?.at(-1)).toBe('.');
    expect(starting('podman', 'push')).toEqual([['podman', 'push', `${image?.newName}:$TAG`]]);
    // The same image as the rendered Services and Jobs, once the tag is substituted.
    const images = new Set(
      [...ofKind(prod(), 'Service'), ...ofKind(prod(), 'Job')].map((d) => (at(d.spec, 'template', 'spec', 'containers') as { image: string }[])[0]?.image),
    );
    expect([...images]).toEqual([`${image?.newName}:${tag.stdout}`]);
  });

  it('deploys with npm run deploy, and by hand with the commands its dry run prints', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const deploys = starting('npm', 'run', 'deploy', '--');
    expect(deploys.length).toBeGreaterThan(0);
    expect(scripts.deploy).toBe('tsx scripts/deploy.ts');
    for (const c of deploys) expect(parseArgs(c.slice(4)).env).toBe('prod');
    expect(section).toContain('npm run deploy -- prod --kn');

    const printed = deployCommands('prod', prod()).map(formatCommand);
    // The Secret check is the script's own; by hand, creating the Secret was the step before.
    expect(printed[0]).toMatch(/^kubectl get secret /);
    const byHand = blocks
      .find((b) => b.startsWith('oc delete job'))
      ?.trimEnd()
      .split('\n');
    expect(byHand).toEqual(printed.slice(1).map((line) => line.replace(/^kubectl /, 'oc ')));
  });

  it("lists the Broker, Services, Triggers and PingSources of the overlay's namespace with kn", () => {
    const lists = commands.filter((c) => c[0] === 'kn' && c.includes('list'));
    expect(lists.map((c) => c.slice(0, c.indexOf('list') + 1).join(' ')).sort()).toEqual([
      'kn broker list',
      'kn service list',
      'kn source ping list',
      'kn trigger list',
    ]);
    for (const c of lists) expect(values(c, '-n')).toEqual([prodNamespace()]);
    const broker = one(prod(), 'Broker');
    expect(section).toContain(`\`http://kafka-broker-ingress.knative-eventing.svc.cluster.local/${broker.metadata.namespace}/${broker.metadata.name}\``);
  });

  // The event posted to the broker, as curl sends it from the pod.
  const firstEvent = () => {
    const [run] = starting('oc', 'run');
    const curl = run?.slice(run.indexOf('--') + 1) ?? [];
    const headers = Object.fromEntries(values(curl, '-H').map((h) => [h.slice(0, h.indexOf(':')).toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]));
    return { run: run ?? [], curl, url: curl.find((w) => w.startsWith('http')), headers, body: values(curl, '-d')[0] ?? '' };
  };

  it("posts a first CloudEvent from a pod of the namespace to the Kafka broker's ingress, one the functions accept", () => {
    const { run, curl, url, headers, body } = firstEvent();
    expect(curl[0]).toBe('curl');
    expect(values(run, '-n')).toEqual([prodNamespace()]);
    const broker = one(prod(), 'Broker');
    expect(broker.metadata.annotations?.['eventing.knative.dev/broker.class']).toBe('Kafka');
    expect(url).toBe(`http://kafka-broker-ingress.knative-eventing.svc.cluster.local/${broker.metadata.namespace}/${broker.metadata.name}`);
    expect(headers['content-type']).toBe('application/json');
    // Read as a function reads it: a valid binary-mode CloudEvent of a known type, data valid.
    const event = fromHttp(headers, body);
    const definition = definitionOf(event.type);
    if (!definition) throw new Error(`${event.type} is no event type of the platform`);
    expect(event.source).toBe(definition.source);
    expect(() => assertValidData(definition, event.data)).not.toThrow();
    expect(event.partitionkey).toBe(event.subject);
    expect(event.subject).toBe((event.data as { customerId: string }).customerId);
  });

  it('shows it arriving: the log of a handler its Trigger delivers to, and what that handler made', () => {
    const { headers } = firstEvent();
    const namespace = prodNamespace();
    const subscribers = ofKind(prod(), 'Trigger')
      .filter((t) => at(t.spec, 'filter', 'attributes', 'type') === headers['ce-type'])
      .map((t) => at(t.spec, 'subscriber', 'ref', 'name'));
    const [logs] = starting('oc', 'logs');
    const selected = values(logs ?? [], '-l')[0]?.split('=') ?? [];
    expect(selected[0]).toBe('serving.knative.dev/service');
    expect(subscribers).toContain(selected[1]);
    expect(values(logs ?? [], '-n')).toEqual([namespace]);
    const svc = one(prod(), 'Service', selected[1]);
    expect(values(logs ?? [], '-c')).toEqual([(at(svc.spec, 'template', 'spec', 'containers') as { name: string }[])[0]?.name]);

    // Each `curl --connect-to <host>:443:$GATEWAY:443 https://<host>/<path>`: through the Gateway,
    // whose routes send it to the cluster-local function whose route takes that path.
    const gatewayCalls = commands.filter((c) => c.includes('curl') && values(c, '--connect-to').length > 0);
    const calls = gatewayCalls.map((c) => {
      const url = new URL(c.find((w) => w.startsWith('https://')) ?? '');
      const method = c.includes('-d') ? 'POST' : 'GET';
      const routed = routeRequest(ofKind(prod(), 'HTTPRoute'), 'gotuto', method, url.pathname);
      const [name = '', hostNamespace] = routed?.host?.split('.') ?? [];
      expect(values(c, '--connect-to')).toEqual([`${url.hostname}:443:$GATEWAY:443`]);
      expect(hostNamespace).toBe(namespace);
      return { name, path: url.pathname, method };
    });
    expect(calls.map((c) => c.name).sort()).toEqual(['billing-get-client', 'customer-login']);
    expect(section).toContain(`GATEWAY=$(oc get gateway gotuto -n ${namespace} -o jsonpath='{.status.addresses[0].value}')`);
    for (const call of calls) {
      const fn = registry.find((f) => f.name === call.name);
      const route = fn && fn.definition.kind !== 'handler' ? parseRoute(fn.definition.route) : undefined;
      expect([route?.method, route?.match(call.path) !== undefined], call.name).toEqual([call.method, true]);
      expect(one(prod(), 'Service', call.name).metadata.labels?.['networking.knative.dev/visibility'], call.name).toBe('cluster-local');
    }
    // The client Billing made has the registered customer's id.
    const get = calls.find((c) => c.name === 'billing-get-client');
    expect(get?.path).toBe(`/billing/clients/${headers['ce-subject']}`);
  });

  it('names the warm functions, at the min-scale the prod overlay gives them, and every other function at 0', () => {
    const warm = warmTable(section);
    expect(warm.size).toBeGreaterThan(0);
    expect(warmTable(readFileSync(join(root, 'knative', 'README.md'), 'utf8'))).toEqual(warm);
    const services = ofKind(prod(), 'Service');
    for (const name of warm.keys())
      expect(
        services.some((s) => s.metadata.name === name),
        name,
      ).toBe(true);
    for (const svc of services) expect(minScale(svc), svc.metadata.name).toBe(warm.get(svc.metadata.name) ?? '0');
    // Warm means a wait someone has: a shopper's request, or a handler of the saga up to confirmed;
    // never a schedule, which its PingSource wakes anyway.
    for (const name of warm.keys()) {
      const fn = registry.find((f) => f.name === name);
      expect(fn?.definition.kind === 'handler' && fn.definition.schedule, name).toBeFalsy();
    }
  });
});

describe('the core kinds of knative/openshift and knative/gitops', () => {
  it('satisfy the Kubernetes schemas (kubernetes-models)', async () => {
    const dirs = ['knative/openshift', 'knative/openshift/gateway', 'knative/openshift/kafka', 'knative/openshift/operators', 'knative/gitops'];
    const core = dirs.flatMap(docsOf).filter((d) => !d.apiVersion.includes('.'));
    expect(core.map((d) => d.kind)).toContain('Namespace');
    expect(await coreSchemaErrors(core)).toEqual([]);
  });
});

describe('knative/README.md', () => {
  it('describes every kustomization in knative/openshift', () => {
    const text = readFileSync(join(root, 'knative', 'README.md'), 'utf8');
    const dirs = [
      'openshift',
      ...readdirSync(join(root, 'knative', 'openshift'), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => `openshift/${e.name}`),
    ];
    expect(dirs.sort()).toEqual(['openshift', 'openshift/gateway', 'openshift/kafka', 'openshift/observability', 'openshift/operators', 'openshift/route']);
    for (const dir of dirs) expect(text, dir).toContain(`| \`${dir}\` |`);
    for (const doc of docsOf('knative/openshift').filter((d) => d.kind !== 'Namespace')) {
      expect(text).toContain(`\`${doc.kind}\` (\`${doc.apiVersion}\`) in \`${doc.metadata.namespace}\``);
    }
  });
});
