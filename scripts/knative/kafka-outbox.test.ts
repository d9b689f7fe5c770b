// The optional component knative/components/kafka-outbox (knative/README.md, "Outboxes straight to
// Kafka (optional)"), rendered with `kubectl kustomize` in an overlay on top of each environment's
// overlay, as the README says to use it: the KafkaSource it adds reads exactly the topics the
// runtime writes (one per context with an outbox relay), on the Kafka of the environment's
// kafka-broker-config, into the Broker of the render; gotuto-config tells the functions the same;
// and nothing else in the render changes.
//
// The KafkaSource is validated against the only schema at hand, the older v1beta1 one
// (knative/schemas), on a copy whose apiVersion says v1beta1. That cannot catch a field
// that v1 added, renamed or dropped; v1 was made from v1beta1 with the same fields, and the rules of
// v1's webhook that a schema of plain strings cannot express (initialOffset, ordering) are checked
// by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type AnySchemaObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/index.js';
import { config } from '../../functions/runtime/config.js';
import { migratedContexts } from '../../functions/runtime/migrate.js';
import { BROKER, CONFIG_MAP, DEAD_LETTER_SINK, KAFKA_CONFIG_MAP, KAFKA_DEFAULTS, durationSeconds, type Manifest } from './generate.js';
import { schemaErrors } from './schema-testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const COMPONENT = join(root, 'knative', 'components', 'kafka-outbox');
const OVERLAYS_DIR = join(root, 'knative', 'overlays');
const OVERLAYS = ['dev', 'staging', 'prod'] as const;
const SOURCE = 'gotuto-outbox';
const SCHEMA = join(root, 'knative', 'schemas', 'sources.knative.dev', 'kafkasource_v1beta1.json');
/** The keys of gotuto-config that the component sets, and nothing else. */
const CONFIG_KEYS = ['KAFKA_BROKERS', 'OUTBOX_KAFKA_TOPIC'];

type Doc = Manifest & { metadata: Manifest['metadata'] & { namespace?: string } };
type Ref = { ref?: { apiVersion?: string; kind?: string; name?: string; namespace?: string } };
type SourceSpec = {
  bootstrapServers?: string[];
  topics?: string[];
  consumerGroup?: string;
  initialOffset?: string;
  ordering?: string;
  sink?: Ref;
  delivery?: { retry?: number; backoffPolicy?: string; backoffDelay?: string; deadLetterSink?: Ref };
};

/** Contexts whose functions include an outbox relay: each has an outbox, so a topic. */
const outboxContexts = [...new Set(registry.filter((fn) => fn.definition.kind === 'handler' && fn.definition.relay === true).map((fn) => fn.context))].sort();

// --- rendering ------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'gotuto-kafka-outbox-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Renders `dir`; `error` is kubectl's message when kustomize refuses it. */
const kustomize = (dir: string): { docs: Doc[]; error?: undefined } | { docs?: undefined; error: string } => {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) throw new Error(`kubectl kustomize could not run (kubectl 1.32 or later on PATH): ${run.error.message}`);
  if (run.status !== 0) return { error: run.stderr };
  const docs = parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as Doc | null)
    .filter((doc): doc is Doc => doc !== null);
  return { docs };
};
const render = (dir: string): Doc[] => {
  const { docs, error } = kustomize(dir);
  if (!docs) throw new Error(`kubectl kustomize ${dir} failed:\n${error}`);
  return docs;
};

/** A kustomization in a new folder under the temporary directory; paths are made relative to it (kustomize refuses absolute ones). */
const kustomization = (name: string, content: { resources: string[]; components?: string[] } & Record<string, unknown>): string => {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const rel = (paths: string[] | undefined) => paths?.map((p) => relative(dir, p));
  const { resources, components, ...rest } = content;
  const body = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...rest,
    resources: rel(resources),
    ...(components ? { components: rel(components) } : {}),
  };
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(body));
  return dir;
};

const rendered = new Map<string, Doc[]>();
const cached = (key: string, make: () => Doc[]): Doc[] => {
  let docs = rendered.get(key);
  if (!docs) rendered.set(key, (docs = make()));
  return docs;
};
/** The environment's overlay as it is. */
const plain = (env: string) => cached(env, () => render(join(OVERLAYS_DIR, env)));
/** An overlay on top of the environment's, adding the component (what knative/README.md shows). */
const withOutbox = (env: string) =>
  cached(`${env}+outbox`, () => render(kustomization(`${env}-outbox`, { resources: [join(OVERLAYS_DIR, env)], components: [COMPONENT] })));

const one = (docs: Doc[], kind: string, name: string): Doc => {
  const found = docs.filter((d) => d.kind === kind && d.metadata.name === name);
  if (found.length !== 1) throw new Error(`${found.length} ${kind} ${name} in the render, not one`);
  return found[0] as Doc;
};
const sourceOf = (docs: Doc[]) => one(docs, 'KafkaSource', SOURCE);
const specOf = (docs: Doc[]) => (sourceOf(docs).spec ?? {}) as SourceSpec;
const bootstrapServers = (docs: Doc[]): string => one(docs, 'ConfigMap', KAFKA_CONFIG_MAP).data?.['bootstrap.servers'] ?? '';
const settings = (docs: Doc[]): Record<string, string> => one(docs, 'ConfigMap', CONFIG_MAP).data ?? {};

/** Runs `fn` with these variables set, then puts the environment back. */
const withEnv = <T>(vars: Record<string, string>, fn: () => T): T => {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
};

/** What is wrong with the copies the component makes in one render (empty when nothing is). */
const copyProblems = (docs: Doc[]): string[] => {
  const problems: string[] = [];
  const servers = bootstrapServers(docs);
  const namespace = one(docs, 'Broker', BROKER).metadata.namespace;
  const spec = specOf(docs);
  if (servers === KAFKA_DEFAULTS['bootstrap.servers']) problems.push(`bootstrap.servers is base's placeholder ${servers}`);
  if (JSON.stringify(spec.bootstrapServers) !== JSON.stringify([servers]))
    problems.push(`KafkaSource bootstrapServers ${JSON.stringify(spec.bootstrapServers)}, not [${servers}]`);
  if (settings(docs).KAFKA_BROKERS !== servers) problems.push(`KAFKA_BROKERS ${settings(docs).KAFKA_BROKERS}, not ${servers}`);
  if (sourceOf(docs).metadata.namespace !== namespace) problems.push(`KafkaSource in ${sourceOf(docs).metadata.namespace}, the Broker in ${namespace}`);
  if (settings(docs).OUTBOX_KAFKA_TOPIC !== `${namespace}.{context}.events`) problems.push(`OUTBOX_KAFKA_TOPIC ${settings(docs).OUTBOX_KAFKA_TOPIC}`);
  return problems;
};

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

// --- the tests ------------------------------------------------------------------------------

describe('the outbox contexts', () => {
  it('are the contexts with an outbox relay, each of which has migrations (its outbox table)', () => {
    expect(outboxContexts.length).toBeGreaterThan(0);
    const migrated = migratedContexts(join(root, 'functions'));
    expect(outboxContexts.filter((context) => !migrated.includes(context))).toEqual([]);
  });
});

describe.each(OVERLAYS)('overlays/%s with knative/components/kafka-outbox on top', (env) => {
  it('adds one KafkaSource, in the namespace of the Broker, reading the outbox topic of every context with an outbox relay', () => {
    const docs = withOutbox(env);
    const namespace = one(docs, 'Broker', BROKER).metadata.namespace;
    expect(namespace).toBeTruthy();
    expect(sourceOf(docs).apiVersion).toBe('sources.knative.dev/v1');
    expect(sourceOf(docs).metadata.namespace).toBe(namespace);
    const topics = specOf(docs).topics ?? [];
    expect([...topics].sort()).toEqual(outboxContexts.map((context) => `${namespace}.${context}.events`));
    // The topics are the ones the runtime writes with this gotuto-config.
    const template = settings(docs).OUTBOX_KAFKA_TOPIC ?? '';
    expect(template).toBe(`${namespace}.{context}.events`);
    const written = withEnv({ OUTBOX_KAFKA_TOPIC: template }, () => outboxContexts.map((context) => config.outboxKafkaTopic(context)));
    expect([...topics].sort()).toEqual(written);
  });

  it('copies bootstrap.servers of the rendered kafka-broker-config into the KafkaSource and KAFKA_BROKERS', () => {
    const docs = withOutbox(env);
    const servers = bootstrapServers(docs);
    expect(servers).toBe(bootstrapServers(plain(env)));
    expect(servers).not.toBe(KAFKA_DEFAULTS['bootstrap.servers']);
    expect(specOf(docs).bootstrapServers).toEqual([servers]);
    expect(settings(docs).KAFKA_BROKERS).toBe(servers);
    expect(withEnv({ KAFKA_BROKERS: settings(docs).KAFKA_BROKERS ?? '' }, () => config.kafkaBrokers())).toEqual(servers.split(','));
    expect(copyProblems(docs)).toEqual([]);
  });

  it('sends to the Broker of the render, in order, from the earliest offset, with retries and dead letters', () => {
    const docs = withOutbox(env);
    const spec = specOf(docs);
    const namespace = sourceOf(docs).metadata.namespace;
    expect(spec.sink).toEqual({ ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: BROKER } });
    expect(one(docs, 'Broker', spec.sink?.ref?.name ?? '').metadata.namespace).toBe(namespace);
    expect(spec.consumerGroup).toBe(`${namespace}.outbox-source`);
    expect(spec.initialOffset).toBe('earliest');
    expect(spec.ordering).toBe('ordered');
    const delivery = spec.delivery ?? {};
    expect(delivery.retry).toBeGreaterThan(0);
    expect(['exponential', 'linear']).toContain(delivery.backoffPolicy);
    expect(durationSeconds(delivery.backoffDelay ?? '')).toBeGreaterThan(0);
    expect(delivery.deadLetterSink).toEqual({
      ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: DEAD_LETTER_SINK },
      audience: DEAD_LETTER_SINK,
    });
    expect(one(docs, 'Service', DEAD_LETTER_SINK).metadata.namespace).toBe(namespace);
  });

  it("satisfies the KafkaSource v1beta1 schema (on a copy marked v1beta1) and the v1 webhook's rules on values", () => {
    const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as AnySchemaObject;
    // No $schema: draft-07, Ajv's default draft.
    expect(schema.$schema).toBeUndefined();
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const copy = { ...structuredClone(sourceOf(withOutbox(env))), apiVersion: 'sources.knative.dev/v1beta1' };
    const valid = validate(copy);
    expect((validate.errors ?? []).map((e) => `${e.instancePath}: ${e.message ?? ''}`)).toEqual([]);
    expect(valid).toBe(true);
    // What v1's webhook refuses and the schema (plain strings, optional fields) lets through.
    const spec = specOf(withOutbox(env));
    expect(spec.topics?.length).toBeGreaterThan(0);
    expect(spec.bootstrapServers?.length).toBeGreaterThan(0);
    expect(['earliest', 'latest']).toContain(spec.initialOffset);
    expect(['ordered', 'unordered']).toContain(spec.ordering);
  });

  it("admits the KafkaSource to the Broker of the render (an EventPolicy), for the platform's event types", () => {
    const docs = withOutbox(env);
    const policy = one(docs, 'EventPolicy', SOURCE);
    expect(policy.metadata.namespace).toBe(sourceOf(docs).metadata.namespace);
    expect(schemaErrors([policy]).errors).toEqual([]);
    expect(policy.spec).toEqual({
      to: [{ ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: BROKER } }],
      from: [{ ref: { apiVersion: sourceOf(docs).apiVersion, kind: 'KafkaSource', name: SOURCE } }],
      filters: [{ prefix: { type: 'com.gotuto.' } }],
    });
  });

  it('changes nothing else: only the KafkaSource and its EventPolicy are added, and only KAFKA_BROKERS and OUTBOX_KAFKA_TOPIC of gotuto-config', () => {
    const id = (d: Doc) => `${d.apiVersion} ${d.kind} ${d.metadata.namespace ?? '-'}/${d.metadata.name}`;
    const before = new Map(plain(env).map((d) => [id(d), d]));
    const after = new Map(withOutbox(env).map((d) => [id(d), d]));
    expect(before.size).toBe(plain(env).length);
    expect([...after.keys()].filter((k) => !before.has(k))).toEqual([id(one(withOutbox(env), 'EventPolicy', SOURCE)), id(sourceOf(withOutbox(env)))]);
    expect([...before.keys()].filter((k) => !after.has(k))).toEqual([]);
    for (const [key, doc] of before) {
      const changed = after.get(key) as Doc;
      if (doc.kind === 'ConfigMap' && doc.metadata.name === CONFIG_MAP) {
        const keys = [...new Set([...Object.keys(doc.data ?? {}), ...Object.keys(changed.data ?? {})])];
        expect(keys.filter((k) => doc.data?.[k] !== changed.data?.[k]).sort()).toEqual(CONFIG_KEYS);
        expect({ ...changed, data: undefined }).toEqual({ ...doc, data: undefined });
      } else {
        expect(changed, key).toEqual(doc);
      }
    }
  });
});

describe('knative/components/kafka-outbox', () => {
  it('gives every environment topics and a consumer group of its own, also where they share a Kafka cluster', () => {
    const names = OVERLAYS.flatMap((env) => [...(specOf(withOutbox(env)).topics ?? []), specOf(withOutbox(env)).consumerGroup ?? '']);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  it("stops the render when listed in an environment overlay itself, rather than copy base's placeholder", () => {
    // Kustomize runs a component's replacements before the namespace and patches of the
    // kustomization that lists it: there, the Broker has no namespace yet.
    const prodDir = join(OVERLAYS_DIR, 'prod');
    const prod = parse(readFileSync(join(prodDir, 'kustomization.yaml'), 'utf8')) as { resources: string[] } & Record<string, unknown>;
    const dir = kustomization('prod-listing-the-component', {
      ...prod,
      resources: prod.resources.map((r) => resolve(prodDir, r)),
      components: [COMPONENT],
    });
    const { docs, error } = kustomize(dir);
    expect(docs).toBeUndefined();
    expect(error).toMatch(/metadata\.namespace.* is missing for replacement source Broker/);
  });

  it('is listed only by overlays whose render copies their own namespace and Kafka', () => {
    // Today no overlay of knative/overlays lists it; one that does (on top of an environment's) is
    // rendered and checked here.
    const users = existsSync(OVERLAYS_DIR)
      ? readdirSync(OVERLAYS_DIR).filter((name) => {
          const file = join(OVERLAYS_DIR, name, 'kustomization.yaml');
          if (!existsSync(file)) return false;
          const components = (parse(readFileSync(file, 'utf8')) as { components?: string[] }).components ?? [];
          return components.some((c) => resolve(OVERLAYS_DIR, name, c) === COMPONENT);
        })
      : [];
    for (const name of users) expect(copyProblems(render(join(OVERLAYS_DIR, name))), name).toEqual([]);
  });
});
