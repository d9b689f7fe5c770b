// Progressive delivery the Knative way: a new revision of one function takes a share of its
// traffic under the tag `candidate` while the revision that served before keeps the rest under the
// tag `stable`; then either the candidate takes everything (promote) or the stable one does again
// (roll back). `npm run deploy -- <env> --canary=<function>:<percent>` (and `--promote=<function>`,
// `--rollback=<function>`) runs these kn commands; the GitOps path writes the same `spec.traffic`
// in the overlay (knative/README.md, "Canary, promote, roll back").
//
// Only commands and queries: a request is answered by one revision, and both revisions read the
// same schema. An event handler splits a stream of events, whose effects build on each other,
// between two codes; a scheduled function would run twice. Those are deployed whole.
import type { Manifest } from './generate.js';

export const CANDIDATE_TAG = 'candidate';
export const STABLE_TAG = 'stable';

export type TrafficAction = { action: 'canary'; fn: string; percent: number } | { action: 'promote'; fn: string } | { action: 'rollback'; fn: string };

/** Reads `--canary=<function>:<percent>`, `--promote=<function>` or `--rollback=<function>`; undefined for any other flag. */
export const parseTraffic = (flag: string): TrafficAction | undefined => {
  const m = /^--(canary|promote|rollback)=(.*)$/.exec(flag);
  if (!m) return undefined;
  const [, action, value = ''] = m;
  if (action === 'canary') {
    const c = /^([a-z0-9-]+):(\d{1,2})$/.exec(value);
    const percent = Number(c?.[2]);
    if (!c || percent < 1 || percent > 99) throw new Error(`--canary=${value}: give <function>:<percent of traffic, 1 to 99>`);
    return { action: 'canary', fn: c[1] as string, percent };
  }
  if (!/^[a-z0-9-]+$/.test(value)) throw new Error(`--${action}=${value}: give a function name`);
  return { action: action as 'promote' | 'rollback', fn: value };
};

/** The command that prints the revision serving `fn` now: the one a canary keeps as `stable`. */
export const currentRevisionCommand = (fn: string, namespace: string): string[] => [
  'kubectl',
  'get',
  'services.serving.knative.dev',
  fn,
  '-n',
  namespace,
  '-o',
  'jsonpath={.status.latestReadyRevisionName}',
];

/** The Service of `action.fn` in the render, refused unless it is a command or a query. */
export const canaryTarget = (docs: readonly Manifest[], action: TrafficAction): Manifest => {
  const svc = docs.find((d) => d.kind === 'Service' && d.apiVersion.startsWith('serving.knative.dev/') && d.metadata.name === action.fn);
  if (!svc) throw new Error(`no function ${action.fn} in the overlay`);
  const trigger = svc.metadata.labels?.['gotuto.dev/trigger'];
  if (trigger !== 'http')
    throw new Error(
      `${action.fn} is started by ${trigger === 'event' ? 'events' : 'a schedule'}: it runs one revision at a time, deploy it whole (no --${action.action})`,
    );
  return svc;
};

/**
 * The kn command of `action`. A canary deploys the overlay's image as a new revision for `percent`
 * of the requests, tagged `candidate`, and keeps `stable` (the revision serving now, by name) for
 * the rest; each tag has its own URL (`candidate-<function>...`) for trying it directly.
 */
export const trafficCommand = (action: TrafficAction, namespace: string, image: string, stable?: string): string[] => {
  const base = ['kn', 'service', 'update', action.fn, '-n', namespace];
  switch (action.action) {
    case 'canary':
      if (!stable) throw new Error(`${action.fn} has no ready revision to keep: deploy it whole first`);
      return [
        ...base,
        '--image',
        image,
        '--tag',
        `${stable}=${STABLE_TAG}`,
        '--tag',
        `@latest=${CANDIDATE_TAG}`,
        '--traffic',
        `${stable}=${100 - action.percent}`,
        '--traffic',
        `@latest=${action.percent}`,
      ];
    case 'promote':
      return [...base, '--traffic', '@latest=100', '--untag', `${STABLE_TAG},${CANDIDATE_TAG}`];
    case 'rollback':
      return [...base, '--traffic', `${STABLE_TAG}=100`, '--untag', CANDIDATE_TAG];
    default: {
      const never: never = action;
      throw new Error(`unknown traffic action ${JSON.stringify(never)}`);
    }
  }
};

export interface TrafficTarget {
  revisionName?: string;
  latestRevision?: boolean;
  percent: number;
  tag?: string;
}

/**
 * The Service's `spec.traffic` after `action`: what the kn command leaves, and what the GitOps path
 * writes in the overlay (a patch of the one Service, with its image) to do the same.
 */
export const trafficSpec = (action: TrafficAction, stable: string): TrafficTarget[] => {
  switch (action.action) {
    case 'canary':
      return [
        { revisionName: stable, percent: 100 - action.percent, tag: STABLE_TAG },
        { latestRevision: true, percent: action.percent, tag: CANDIDATE_TAG },
      ];
    case 'promote':
      return [{ latestRevision: true, percent: 100 }];
    case 'rollback':
      return [{ revisionName: stable, percent: 100, tag: STABLE_TAG }];
    default: {
      const never: never = action;
      throw new Error(`unknown traffic action ${JSON.stringify(never)}`);
    }
  }
};
