// What each environment runs for its telemetry (generated into knative/base/observability.yaml):
// an OpenTelemetry collector that takes the functions' OTLP, sends traces on to the cluster's
// Tempo and offers metrics to user-workload monitoring; ServiceMonitors for the collector and for
// Knative's queue-proxy; the environment's PrometheusRule (alerts.ts). And the cluster's
// dashboards (dashboards.ts), generated into knative/openshift/observability/dashboards/.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { prometheusRule } from './alerts.js';
import { DASHBOARDS, dashboardJson } from './dashboards.js';
import type { Manifest } from './generate.js';

export const OBSERVABILITY_COMPONENT = 'observability';
export const COLLECTOR = 'gotuto';
/** The Service the OpenTelemetry Operator makes for the collector `gotuto`, in the environment's namespace. */
export const COLLECTOR_SERVICE = `${COLLECTOR}-collector`;
export const OTLP_HTTP_PORT = 4318;
export const OTLP_GRPC_PORT = 4317;
export const PROMETHEUS_PORT = 8889;
/** The cluster's namespace of Tempo, the Knative-facing collector, Grafana and its dashboards. */
export const OBSERVABILITY_NAMESPACE = 'gotuto-observability';
/** TempoMonolithic `gotuto` in that namespace: the operator's Service `tempo-gotuto` takes OTLP/gRPC. */
export const TEMPO_OTLP = `tempo-gotuto.${OBSERVABILITY_NAMESPACE}.svc.cluster.local:${OTLP_GRPC_PORT}`;

/**
 * The OTEL_* settings of gotuto-config. The endpoint is the collector's Service by its short name,
 * which resolves in the function's own namespace, so every environment reaches its own collector.
 * The sampler follows the caller's decision (Knative's queue-proxy and broker sample by
 * `tracing-sampling-rate`), so a trace is kept whole or not at all.
 */
export const OTEL_CONFIG: Readonly<Record<string, string>> = {
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://${COLLECTOR_SERVICE}:${OTLP_HTTP_PORT}`,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
  OTEL_TRACES_SAMPLER: 'parentbased_always_on',
};

const collector = (labels: Record<string, string>): Manifest => ({
  apiVersion: 'opentelemetry.io/v1beta1',
  kind: 'OpenTelemetryCollector',
  metadata: { name: COLLECTOR, labels },
  spec: {
    mode: 'deployment',
    // One replica: each function instance pushes cumulative counters, and two collectors would each
    // expose a part of them as separate series, which sum() would then count twice.
    replicas: 1,
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
    config: {
      receivers: {
        otlp: { protocols: { grpc: { endpoint: `0.0.0.0:${OTLP_GRPC_PORT}` }, http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` } } },
      },
      processors: {
        // Refuse data before the pod is killed for memory: the functions' exporters retry.
        memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 20 },
        batch: {},
      },
      exporters: {
        'otlp/tempo': { endpoint: TEMPO_OTLP, tls: { insecure: true } },
        // Scraped by user-workload monitoring (ServiceMonitor gotuto-collector). A series of an
        // instance that scaled to zero is dropped 10 minutes after its last push.
        prometheus: { endpoint: `0.0.0.0:${PROMETHEUS_PORT}`, metric_expiration: '10m', resource_to_telemetry_conversion: { enabled: false } },
      },
      service: {
        pipelines: {
          traces: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['otlp/tempo'] },
          metrics: { receivers: ['otlp'], processors: ['memory_limiter', 'batch'], exporters: ['prometheus'] },
        },
      },
    },
  },
});

const serviceMonitor = (name: string, labels: Record<string, string>, selector: Record<string, string>, port: string): Manifest => ({
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name, labels },
  spec: { selector: { matchLabels: selector }, endpoints: [{ port, path: '/metrics', interval: '30s' }] },
});

/** The environment's telemetry resources, labelled for `npm run deploy`'s kubectl step. */
export const observabilityManifests = (partOf: string): Manifest[] => {
  const labels = { 'app.kubernetes.io/component': OBSERVABILITY_COMPONENT, 'app.kubernetes.io/part-of': partOf };
  return [
    collector(labels),
    // The port the operator names after the collector's `prometheus` exporter, on its base Service.
    serviceMonitor(
      'gotuto-collector',
      labels,
      { 'app.kubernetes.io/name': COLLECTOR_SERVICE, 'operator.opentelemetry.io/collector-service-type': 'base' },
      'prometheus',
    ),
    // Knative's per-revision private Service exposes queue-proxy's request metrics on
    // `http-usermetric` (9091) while the revision has pods.
    serviceMonitor('gotuto-queue-proxy', labels, { 'networking.internal.knative.dev/serviceType': 'Private' }, 'http-usermetric'),
    prometheusRule(labels),
  ];
};

// --- the cluster's dashboards -------------------------------------------------------------

export const DASHBOARDS_DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'knative', 'openshift', 'observability', 'dashboards');

export const DASHBOARD_HEADER =
  '# Generated by `npm run knative` from scripts/knative/dashboards.ts.\n' +
  '# Never edit by hand: change the description there, then run `npm run knative`.\n';

const toYaml = (value: unknown): string => stringify(value, { lineWidth: 0, indent: 2 });

const consoleDashboard = (d: (typeof DASHBOARDS)[number]): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: `gotuto-${d.id}`,
    namespace: 'openshift-config-managed',
    // Administrator and Developer perspectives alike.
    labels: { 'console.openshift.io/dashboard': 'true', 'console.openshift.io/odc-dashboard': 'true' },
  },
  data: { [`gotuto-${d.id}.json`]: JSON.stringify(dashboardJson(d, 'console'), null, 2) },
});

const grafanaDashboard = (d: (typeof DASHBOARDS)[number]): Manifest => ({
  apiVersion: 'grafana.integreatly.org/v1beta1',
  kind: 'GrafanaDashboard',
  metadata: { name: `gotuto-${d.id}`, namespace: OBSERVABILITY_NAMESPACE },
  spec: {
    // Every Grafana instance labelled `dashboards: gotuto` gets them (knative/README.md).
    instanceSelector: { matchLabels: { dashboards: 'gotuto' } },
    folder: 'GoTuto',
    json: JSON.stringify(dashboardJson(d, 'grafana'), null, 2),
  },
});

/** The files of knative/openshift/observability/dashboards, by name. */
export const dashboardFiles = (): Map<string, string> => {
  const file = (docs: Manifest[]) => DASHBOARD_HEADER + docs.map(toYaml).join('---\n');
  return new Map([
    ['console.yaml', file(DASHBOARDS.map(consoleDashboard))],
    ['grafana.yaml', file(DASHBOARDS.map(grafanaDashboard))],
    [
      'kustomization.yaml',
      DASHBOARD_HEADER + toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['console.yaml', 'grafana.yaml'] }),
    ],
  ]);
};
