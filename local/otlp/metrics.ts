// The metric points the local platform received (/v1/metrics): the latest point of each series
// (service, name, attributes), in memory and capped. Metrics are a view of now; a restart starts
// them afresh, as the counters of the restarted functions do.
import type { MetricPoint } from './decode.js';

const MAX_SERIES = 5000;

export interface MetricSeries extends MetricPoint {
  /** How many points of the series arrived. */
  points: number;
}

export interface MetricStore {
  keep(points: MetricPoint[]): void;
  /** Every series, by name then attributes. */
  series(): MetricSeries[];
}

const seriesKey = (p: MetricPoint): string => JSON.stringify([p.service, p.name, Object.entries(p.attributes).sort(([a], [b]) => a.localeCompare(b))]);

export const createMetricStore = (max = MAX_SERIES): MetricStore => {
  const all = new Map<string, MetricSeries>();
  return {
    keep: (points) => {
      for (const point of points) {
        const key = seriesKey(point);
        const before = all.get(key);
        if (before && before.timeUs > point.timeUs) continue;
        // Deleted first, so the map's order is the order of the latest arrival and the oldest goes at the cap.
        all.delete(key);
        all.set(key, { ...point, points: (before?.points ?? 0) + 1 });
        if (all.size > max) all.delete(all.keys().next().value as string);
      }
    },
    series: () => [...all.values()].sort((a, b) => a.name.localeCompare(b.name) || seriesKey(a).localeCompare(seriesKey(b))),
  };
};
