// The CustomResourceDefinitions the check installs before it dry-runs anything:
// - Knative Serving's and Eventing's own, read from their Go modules' config/ folders (the versions
//   whose webhooks run beside them);
// - every other kind the project's manifests use, made from the JSON Schemas kept in knative/schemas
//   (converted there from each project's CRDs; converted back here into structural schemas), so the
//   API server checks those objects field by field as the operator's CRD would;
// - the kinds without a kept schema (Kuadrant's RateLimitPolicy, OpenShift Serverless's
//   KnativeKafka, Tekton's) as open CRDs: the API server knows the kind and checks its metadata, the
//   structural tests in scripts/knative/*.test.ts check the rest.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { knativeModules } from './server-build.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCHEMAS_DIR = join(root, 'knative', 'schemas');

type Json = Record<string, unknown>;

/** Groups whose CRDs come from Knative's modules; their files in knative/schemas are not installed again. */
const FROM_MODULES = new Set([
  'serving.knative.dev/service',
  'eventing.knative.dev/broker',
  'eventing.knative.dev/trigger',
  'eventing.knative.dev/eventpolicy',
  'sources.knative.dev/pingsource',
  'sources.knative.dev/sinkbinding',
]);

/** The kinds of knative/schemas by their file names' lower-case spelling. A schema added there needs its kind here. */
const KINDS = [
  'Application', 'ApplicationSet', 'AppProject', 'Route', 'GrafanaDashboard', 'KafkaSink', 'OpenTelemetryCollector', 'Instrumentation',
  'OperatorGroup', 'Subscription', 'TempoMonolithic', 'TempoStack', 'KnativeServing', 'KnativeEventing', 'PrometheusRule', 'PodMonitor',
  'ServiceMonitor', 'GatewayClass', 'HTTPRoute', 'ReferenceGrant', 'Gateway', 'KafkaTopic', 'KafkaNodePool', 'Kafka', 'KafkaSource',
]; // prettier-ignore
const CLUSTER_SCOPED = new Set(['GatewayClass']);

/**
 * Versions a kind is served at beyond its kept schema's. KafkaSource: Knative serves v1 and stores
 * v1beta1, converting between them in the Kafka webhook, which is not on the Go module proxy; both
 * versions are served here with the one schema and no conversion, which is what the two share.
 */
const ALSO_SERVED: Record<string, { versions: string[]; storage: string }> = { KafkaSource: { versions: ['v1'], storage: 'v1beta1' } };

/** Kinds without a kept schema: `group/version` → kinds. */
const OPEN_KINDS: Record<string, string[]> = {
  'kuadrant.io/v1': ['RateLimitPolicy', 'AuthPolicy', 'DNSPolicy', 'TLSPolicy', 'Kuadrant'],
  'operator.serverless.openshift.io/v1alpha1': ['KnativeKafka'],
  'tekton.dev/v1': ['Pipeline', 'PipelineRun', 'Task', 'TaskRun'],
};

const plural = (kind: string): string => {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  return /(s|x|ch|sh)$/.test(lower) ? `${lower}es` : `${lower}s`;
};

// A JSON Schema of the catalog back to a structural OpenAPI v3 schema: no `$schema`, no
// `additionalProperties: false` (a CRD prunes unknown fields instead, and forbids it beside
// `properties`), a single type where the catalog allowed null, and only the type of `metadata`.
const structural = (node: unknown, path: string[] = []): unknown => {
  if (Array.isArray(node)) return node.map((item) => structural(item, path));
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === '$schema' || (key === 'additionalProperties' && value === false)) continue;
    if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      out.type = types[0];
      if (value.includes('null')) out.nullable = true;
      continue;
    }
    out[key] =
      key === 'properties' || key === 'default' || key === 'example' || key === 'enum' ? structuralMap(key, value, path) : structural(value, [...path, key]);
  }
  return out;
};

// `properties` maps names to schemas; `default`, `example` and `enum` are values, kept as they are.
const structuralMap = (key: string, value: unknown, path: string[]): unknown => {
  if (key !== 'properties') return value;
  return Object.fromEntries(
    Object.entries(value as Json).map(([name, schema]) => [
      name,
      path.length === 0 && name === 'metadata' ? { type: 'object' } : structural(schema, [...path, name]),
    ]),
  );
};

const crd = (group: string, kind: string, versions: { name: string; storage: boolean; schema: unknown }[]): Json => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: {
    name: `${plural(kind)}.${group}`,
    // The API server takes a CRD in a *.k8s.io group only with this annotation; Gateway API's own CRDs carry it.
    ...(/\.k8s\.io$|\.kubernetes\.io$/.test(group)
      ? { annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/1538' } }
      : {}),
  },
  spec: {
    group,
    names: { kind, listKind: `${kind}List`, plural: plural(kind), singular: kind.toLowerCase() },
    scope: CLUSTER_SCOPED.has(kind) ? 'Cluster' : 'Namespaced',
    versions: versions.map((v) => ({ name: v.name, served: true, storage: v.storage, schema: { openAPIV3Schema: v.schema }, subresources: { status: {} } })),
  },
});

/** CRDs made from knative/schemas (every file but those of Knative's own modules), one per kind, all its versions. */
export const keptSchemaCrds = (): Json[] => {
  const byKind = new Map<string, { group: string; kind: string; versions: { name: string; schema: unknown }[] }>();
  for (const group of readdirSync(SCHEMAS_DIR).filter((g) => !g.includes('.md'))) {
    for (const file of readdirSync(join(SCHEMAS_DIR, group)).filter((f) => f.endsWith('.json'))) {
      const match = /^([a-z0-9]+)_(v[a-z0-9]+)\.json$/.exec(file);
      if (!match) throw new Error(`knative/schemas/${group}/${file}: not <kind>_<version>.json`);
      const [, lower, version] = match as unknown as [string, string, string];
      if (FROM_MODULES.has(`${group}/${lower}`)) continue;
      const kind = KINDS.find((k) => k.toLowerCase() === lower);
      if (!kind) throw new Error(`knative/schemas/${group}/${file}: add its kind to KINDS in scripts/knative/server-crds.ts`);
      const schema = structural(JSON.parse(readFileSync(join(SCHEMAS_DIR, group, file), 'utf8')));
      const entry = byKind.get(`${group}/${kind}`) ?? { group, kind, versions: [] };
      entry.versions.push({ name: version, schema });
      for (const extra of ALSO_SERVED[kind]?.versions ?? []) entry.versions.push({ name: extra, schema });
      byKind.set(`${group}/${kind}`, entry);
    }
  }
  return [...byKind.values()].map(({ group, kind, versions }) => {
    const sorted = versions.sort((a, b) => a.name.localeCompare(b.name));
    const storage = ALSO_SERVED[kind]?.storage ?? (sorted.find((v) => v.name === 'v1') ?? sorted[sorted.length - 1])?.name;
    return crd(
      group,
      kind,
      sorted.map((v) => ({ ...v, storage: v.name === storage })),
    );
  });
};

/** Open CRDs for the kinds without a kept schema. */
export const openCrds = (): Json[] =>
  Object.entries(OPEN_KINDS).flatMap(([groupVersion, kinds]) => {
    const [group, version] = groupVersion.split('/') as [string, string];
    const schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    return kinds.map((kind) => crd(group, kind, [{ name: version, storage: true, schema }]));
  });

const yamlFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => join(dir, f))
    : [];

const docsOf = (files: string[]): Json[] =>
  files.flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJSON() as Json | null)
      .filter((d): d is Json => d !== null && typeof d === 'object'),
  );

/** Knative Serving's and Eventing's CRDs, from their modules. */
export const knativeCrds = (): Json[] => {
  const { serving, eventing } = knativeModules();
  const files = [
    ...yamlFiles(join(serving, 'config', 'core', '300-resources')),
    join(serving, 'config', 'core', '300-knativecertificate.yaml'),
    join(serving, 'config', 'core', '999-cache.yaml'),
    ...yamlFiles(join(eventing, 'config', 'core', 'resources')),
  ];
  return docsOf(files).filter((d) => d.kind === 'CustomResourceDefinition');
};

/** What a Knative webhook needs in its namespace: its ConfigMaps, its certificate Secret and its webhook configurations. */
/**
 * The settings the project gives Knative (`spec.config` of knative/openshift's KnativeServing and
 * KnativeEventing: `config-features` and the like, as the operator writes them into the ConfigMaps),
 * so that the webhooks judge the manifests by the features the project enables (an EventPolicy is
 * refused unless `authentication-oidc` is on).
 */
const projectSettings = (module: 'serving' | 'eventing'): Record<string, Record<string, string>> => {
  const file = join(root, 'knative', 'openshift', `knative-${module}.yaml`);
  const doc = parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJSON() as { spec?: { config?: Record<string, Record<string, string>> } } | undefined;
  const config = doc?.spec?.config ?? {};
  return Object.fromEntries(Object.entries(config).map(([name, data]) => [name.startsWith('config-') ? name : `config-${name}`, data]));
};

export const webhookObjects = (module: 'serving' | 'eventing'): Json[] => {
  const dir = join(knativeModules()[module], 'config', 'core');
  const settings = projectSettings(module);
  return docsOf([...yamlFiles(join(dir, 'configmaps')), ...yamlFiles(join(dir, 'webhooks'))]).map((o) => {
    const name = (o.metadata as { name?: string } | undefined)?.name ?? '';
    const extra = o.kind === 'ConfigMap' ? settings[name] : undefined;
    return extra ? { ...o, data: { ...(o.data ?? {}), ...extra } } : o;
  });
};

/** Every CRD to install, once each: a kept schema wins over an open CRD of the same kind. */
export const allCrds = (): Json[] => {
  const byName = new Map<string, Json>();
  for (const crd of [...openCrds(), ...keptSchemaCrds(), ...knativeCrds()]) byName.set((crd.metadata as { name: string }).name, crd);
  return [...byName.values()];
};
