// Observability in the cluster: the resources of knative/openshift/observability and of each
// environment (knative/base/observability.yaml) valid against their kinds' schemas; the wiring
// between them (functions to their collector, collectors and Knative to Tempo, monitoring to the
// collector and queue-proxy); Knative's tracing settings for both generations of releases; every
// dashboard and alert expression parsed by Prometheus' own grammar and naming only metrics and
// labels of the telemetry contract; the alerts checked and unit-tested by promtool; each runbook
// link landing on a section of knative/RUNBOOK.md.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderOverlay, type Rendered } from '../deploy.js';
import { ALERTS, RUNBOOK_URL, promtoolTests } from './alerts.js';
import { DASHBOARDS, dashboardQueries } from './dashboards.js';
import { drift } from './files.js';
import { COLLECTOR_SERVICE, DASHBOARDS_DIR, OTEL_CONFIG, dashboardFiles } from './observability.js';
import { promtool } from './promtool.js';
import { coreSchemaErrors, schemaErrors } from './schema-testing.js';
import { PLATFORM_METRICS, knownSeries, labelsOf } from './telemetry-names.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kustomize = (dir: string): Rendered[] => {
  const run = spawnSync('kubectl', ['kustomize', dir], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr || run.error?.message}`);
  return parseAllDocuments(run.stdout)
    .map((d) => d.toJS() as Rendered | null)
    .filter((d): d is Rendered => d !== null);
};
const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
const one = (docs: readonly Rendered[], kind: string, name?: string): Rendered => {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (found.length !== 1) throw new Error(`${found.length} ${kind} ${name ?? ''}, not one`);
  return found[0] as Rendered;
};
type CollectorConfig = {
  receivers: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters: Record<string, unknown>;
  service: { pipelines: Record<string, Record<string, string[]>> };
};
const configOf = (collector: Rendered) => at(collector.spec, 'config') as CollectorConfig;
const portOf = (endpoint: unknown): number => Number(String(endpoint).split(':').pop());

const CLUSTER_DIRS = ['knative/openshift/observability', 'knative/openshift/observability/operators', 'knative/openshift/observability/kafka-monitors'];
const cluster = () => kustomize('knative/openshift/observability');
const operatorResources = () => kustomize('knative/openshift');
const prod = () => renderOverlay('prod');

describe('the observability resources', () => {
  it.each(CLUSTER_DIRS)('%s satisfies the schemas of its kinds, custom and core', async (dir) => {
    const docs = kustomize(dir);
    const custom = docs.filter((d) => d.apiVersion.includes('.') && !d.apiVersion.startsWith('rbac.'));
    const { checked, errors } = schemaErrors(custom);
    expect(errors).toEqual([]);
    expect(checked.sort()).toEqual(custom.map((d) => `${d.kind}/${d.metadata.name}`).sort());
    expect(await coreSchemaErrors(docs.filter((d) => !d.apiVersion.includes('.')))).toEqual([]);
  });

  it("each environment's collector, ServiceMonitors and alerts satisfy their schemas (prod as rendered)", () => {
    const docs = prod().filter((d) => /opentelemetry\.io|monitoring\.coreos\.com/.test(d.apiVersion));
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'OpenTelemetryCollector/gotuto',
      'PrometheusRule/gotuto-alerts',
      'ServiceMonitor/gotuto-collector',
      'ServiceMonitor/gotuto-queue-proxy',
    ]);
    expect(schemaErrors(docs).errors).toEqual([]);
  });

  it('the dashboards are what scripts/knative/dashboards.ts generates (npm run knative)', () => {
    expect(drift(DASHBOARDS_DIR, dashboardFiles())).toEqual([]);
  });

  it('every collector pipeline names receivers, processors and exporters it defines', () => {
    for (const collector of [...cluster(), ...prod()].filter((d) => d.kind === 'OpenTelemetryCollector')) {
      const config = configOf(collector);
      for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
        for (const [part, defined] of [
          ['receivers', config.receivers],
          ['processors', config.processors ?? {}],
          ['exporters', config.exporters],
        ] as const)
          for (const used of pipeline[part] ?? []) expect(Object.keys(defined), `${collector.metadata.name} ${name} ${part}`).toContain(used);
      }
    }
  });
});

describe('the wiring', () => {
  it("the functions export to their namespace's collector, on its OTLP/HTTP port", () => {
    const collector = one(prod(), 'OpenTelemetryCollector', 'gotuto');
    const config = one(prod(), 'ConfigMap', 'gotuto-config').data ?? {};
    for (const [key, value] of Object.entries(OTEL_CONFIG)) expect(config[key], key).toBe(value);
    const url = new URL(config.OTEL_EXPORTER_OTLP_ENDPOINT ?? '');
    expect(url.hostname).toBe(`${collector.metadata.name}-collector`);
    expect(url.hostname).toBe(COLLECTOR_SERVICE);
    expect(Number(url.port)).toBe(portOf(at(configOf(collector).receivers, 'otlp', 'protocols', 'http', 'endpoint')));
    expect(config.OTEL_EXPORTER_OTLP_PROTOCOL).toBe('http/protobuf');
  });

  it.each(['dev', 'staging', 'prod'])('%s: spans and metrics name their environment, since one Tempo holds them all', (env) => {
    const config = one(renderOverlay(env), 'ConfigMap', 'gotuto-config').data ?? {};
    expect(config.OTEL_RESOURCE_ATTRIBUTES).toBe(`deployment.environment.name=${env}`);
  });

  it("both collectors send traces to the cluster's Tempo, which takes OTLP/gRPC", () => {
    const tempo = one(cluster(), 'TempoMonolithic');
    expect(at(tempo.spec, 'ingestion', 'otlp', 'grpc', 'enabled')).toBe(true);
    expect(at(tempo.spec, 'jaegerui', 'enabled')).toBe(true);
    const tempoHost = `tempo-${tempo.metadata.name}.${tempo.metadata.namespace ?? ''}.svc.cluster.local:4317`;
    for (const collector of [one(prod(), 'OpenTelemetryCollector'), one(cluster(), 'OpenTelemetryCollector')]) {
      expect(at(configOf(collector).exporters, 'otlp/tempo', 'endpoint'), collector.metadata.name).toBe(tempoHost);
      expect(configOf(collector).service.pipelines.traces?.exporters).toEqual(['otlp/tempo']);
    }
  });

  it("monitoring scrapes the collector's Prometheus exporter and queue-proxy, which the namespace admits", () => {
    const docs = prod();
    const monitors = docs.filter((d) => d.kind === 'ServiceMonitor');
    const endpoint = (name: string) => at(one(monitors, 'ServiceMonitor', name).spec, 'endpoints') as { port: string }[];
    expect(endpoint('gotuto-collector').map((e) => e.port)).toEqual(['prometheus']);
    expect(portOf(at(configOf(one(docs, 'OpenTelemetryCollector')).exporters, 'prometheus', 'endpoint'))).toBe(8889);
    expect(endpoint('gotuto-queue-proxy').map((e) => e.port)).toEqual(['http-usermetric']);
    const ingress = at(one(docs, 'NetworkPolicy', 'gotuto-ingress').spec, 'ingress') as { from?: unknown[]; ports?: { port: number }[] }[];
    const uwm = ingress.filter((rule) => JSON.stringify(rule.from).includes('openshift-user-workload-monitoring'));
    expect(uwm.flatMap((rule) => rule.ports?.map((p) => p.port))).toEqual([9091]);
  });

  it.each(['KnativeServing', 'KnativeEventing'])('%s sends its traces to the Knative collector: OTLP from Knative 1.19, Zipkin before', (kind) => {
    const spec = one(operatorResources(), kind).spec;
    const cm = (name: string) => (at(spec, 'config', name) ?? at(spec, 'config', `config-${name}`)) as Record<string, string>;
    const collector = one(cluster(), 'OpenTelemetryCollector', 'knative');
    const host = `${collector.metadata.name}-collector.${collector.metadata.namespace ?? ''}.svc.cluster.local`;
    const receivers = configOf(collector).receivers;
    const observability = cm('observability');
    expect(observability['tracing-protocol']).toBe('http/protobuf');
    expect(observability['tracing-endpoint']).toBe(`http://${host}:${portOf(at(receivers, 'otlp', 'protocols', 'http', 'endpoint'))}/v1/traces`);
    expect(['none', 'prometheus', 'grpc', 'http/protobuf']).toContain(observability['metrics-protocol']);
    const tracing = cm('tracing');
    expect(tracing.backend).toBe('zipkin');
    expect(tracing['zipkin-endpoint']).toBe(`http://${host}:${portOf(at(receivers, 'zipkin', 'endpoint'))}/api/v2/spans`);
    for (const rate of [observability['tracing-sampling-rate'], tracing['sample-rate']].map(Number)) expect(rate >= 0 && rate <= 1, String(rate)).toBe(true);
  });
});

/** Metric names, and the labels each selector or grouping uses, of a PromQL expression; errors where it does not parse. */
const analyse = (expr: string) => {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: { name: string; labels: string[] }[] = [];
  const grouping: string[] = [];
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`cannot parse at ${node.from}: ${expr.slice(node.from, node.from + 20)}`);
      if (node.name === 'VectorSelector') {
        const name = node.node.getChild('Identifier');
        const labels = node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [];
        selectors.push({ name: name ? expr.slice(name.from, name.to) : '', labels: labels.map((l) => expr.slice(l.from, l.to).split(/[=!~]/)[0] ?? '') });
      }
      if (node.name === 'GroupingLabels') for (const l of node.node.getChildren('LabelName')) grouping.push(expr.slice(l.from, l.to));
    },
  });
  return { errors, selectors, grouping };
};

const EXPRESSIONS = [...dashboardQueries(), ...ALERTS.map((a) => ({ where: `alert ${a.alert}`, expr: a.expr }))];

describe('the dashboards and alerts read the telemetry contract', () => {
  it.each(EXPRESSIONS)('$where parses, and names only contract metrics and their labels', ({ expr }) => {
    const { errors, selectors, grouping } = analyse(expr);
    expect(errors).toEqual([]);
    expect(selectors.length).toBeGreaterThan(0);
    const known = knownSeries();
    for (const { name, labels } of selectors) {
      expect(known, `${name} is not a metric of the contract`).toContain(name);
      if (name in PLATFORM_METRICS) continue;
      for (const label of labels) expect(['namespace', ...(labelsOf(name) ?? [])], `${name} has no label ${label}`).toContain(label);
    }
    const carried = new Set([
      'namespace',
      'le',
      ...selectors.flatMap(({ name }) => (name in PLATFORM_METRICS ? ['deployment', 'function'] : (labelsOf(name) ?? []))),
    ]);
    for (const label of grouping) expect([...carried], `grouping by ${label}`).toContain(label);
  });

  it('the console and Grafana show the same panels and queries', () => {
    const [consoleYaml, grafanaYaml] = ['console.yaml', 'grafana.yaml'].map((f) =>
      parseAllDocuments(readFileSync(join(DASHBOARDS_DIR, f), 'utf8')).map((d) => d.toJS() as Rendered),
    );
    const queries = (json: string) =>
      (JSON.parse(json) as { panels: { title: string; targets: { expr: string }[] }[] }).panels.map((p) => [p.title, p.targets.map((t) => t.expr)]);
    expect(consoleYaml?.map((cm) => queries(Object.values(cm.data ?? {})[0] ?? '{}'))).toEqual(grafanaYaml?.map((d) => queries(at(d.spec, 'json') as string)));
    expect(
      consoleYaml?.every((cm) => cm.metadata.namespace === 'openshift-config-managed' && cm.metadata.labels?.['console.openshift.io/dashboard'] === 'true'),
    ).toBe(true);
    expect(DASHBOARDS.map((d) => d.id)).toEqual(['shop', 'saga', 'eventing', 'functions']);
  });
});

describe('the alerts', () => {
  let dir = '';
  let rules = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gotuto-alerts-'));
    const rule = one(prod(), 'PrometheusRule');
    rules = join(dir, 'rules.yaml');
    writeFileSync(rules, stringify(rule.spec));
    // The unit tests compare labels; the annotations' templates are checked by `check rules`.
    const bare = {
      groups: (rule.spec as { groups: { rules: Record<string, unknown>[] }[] }).groups.map((g) => ({
        ...g,
        rules: g.rules.map(({ annotations: _, ...r }) => r),
      })),
    };
    writeFileSync(join(dir, 'bare.yaml'), stringify(bare));
    writeFileSync(join(dir, 'tests.yaml'), stringify(promtoolTests('bare.yaml')));
  }, 900_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => spawnSync(promtool(), args, { cwd: dir, encoding: 'utf8' });

  it('pass `promtool check rules` (expressions, durations, templates)', () => {
    const result = run('check', 'rules', rules);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`SUCCESS: ${ALERTS.length} rules found`);
  }, 900_000);

  it('fire on the series they are about and stay quiet otherwise (`promtool test rules`)', () => {
    const result = run('test', 'rules', 'tests.yaml');
    expect(result.status, result.stdout + result.stderr).toBe(0);
  }, 120_000);

  it('link to a section of knative/RUNBOOK.md and say what happened', () => {
    const runbook = readFileSync(join(root, 'knative', 'RUNBOOK.md'), 'utf8');
    const anchors = [...runbook.matchAll(/^#{2,3} (.+)$/gm)].map(([, h]) =>
      (h ?? '')
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
    for (const alert of ALERTS) {
      expect(anchors, alert.alert).toContain(alert.runbook);
      expect(alert.summary.length && alert.description.length, alert.alert).toBeGreaterThan(0);
      expect(
        alert.cases.some((c) => c.fires.length > 0),
        `${alert.alert} has a case where it fires`,
      ).toBe(true);
    }
    expect(RUNBOOK_URL).toMatch(/knative\/RUNBOOK\.md$/);
  });
});
