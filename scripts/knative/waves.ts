// Argo CD's order of a sync, written on the generated resources (kubectl and kn ignore it): the
// configuration, then the migration Jobs, both PreSync hooks so that they run before anything of
// the Sync phase; then the namespace's policies, the Broker, the SinkBinding and the Gateway; then
// the Services (running the migrated schema, with K_SINK from their first revision); then what
// sends them traffic: Triggers, PingSources and HTTPRoutes.
import type { Manifest } from './generate.js';

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const HOOK = 'argocd.argoproj.io/hook';
export const HOOK_DELETE_POLICY = 'argocd.argoproj.io/hook-delete-policy';

interface Wave {
  wave: number;
  /** A PreSync hook is created anew on every sync (the previous one deleted first: BeforeHookCreation). */
  preSync?: true;
}

const WAVES: Record<string, Wave> = {
  ConfigMap: { wave: -1, preSync: true },
  Job: { wave: 0, preSync: true },
  NetworkPolicy: { wave: 0 },
  // The functions' identities, before the Services that run as them; the Broker's EventPolicies.
  ServiceAccount: { wave: 0 },
  Role: { wave: 0 },
  RoleBinding: { wave: 0 },
  EventPolicy: { wave: 0 },
  Broker: { wave: 0 },
  SinkBinding: { wave: 0 },
  Gateway: { wave: 0 },
  // The collector is up before the first function exports to it; monitors and alerts with it.
  OpenTelemetryCollector: { wave: 0 },
  ServiceMonitor: { wave: 0 },
  PrometheusRule: { wave: 0 },
  Service: { wave: 1 },
  Trigger: { wave: 2 },
  PingSource: { wave: 2 },
  HTTPRoute: { wave: 2 },
};

/** The wave of a kind, and whether it is a PreSync hook; throws for a kind without one. */
export const waveOf = (kind: string): Wave => {
  const wave = WAVES[kind];
  if (!wave) throw new Error(`no Argo CD sync wave for ${kind}: add it to scripts/knative/waves.ts`);
  return wave;
};

/** `manifest` with its sync wave (and hook) annotations. */
export const withSyncWave = (manifest: Manifest): Manifest => {
  const { wave, preSync } = waveOf(manifest.kind);
  const annotations = {
    ...manifest.metadata.annotations,
    [SYNC_WAVE]: String(wave),
    ...(preSync ? { [HOOK]: 'PreSync', [HOOK_DELETE_POLICY]: 'BeforeHookCreation' } : {}),
  };
  return { ...manifest, metadata: { ...manifest.metadata, annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : 1))) } };
};
