// The events flowing now, as HTML: by type (how many, how fast), to which Triggers and how their
// deliveries ended (retries, errors, dead letters), and the latest value of each metric received.
import type { MetricSeries } from '../otlp/metrics.js';
import { shortType, text } from './html.js';
import type { Flow } from './store.js';

const typesTable = (flow: Flow): string => {
  if (flow.types.length === 0) return `<p class="quiet">No events in the last ${flow.windowSeconds} s.</p>`;
  const minutes = flow.windowSeconds / 60;
  const rows = flow.types.map(
    (t) =>
      `<tr data-type="${text(t.type)}"><td class="type">${text(shortType(t.type))}</td><td>${t.events}</td><td>${(t.events / minutes).toFixed(1)}/min</td><td>${t.lastMinute}</td><td>${text(t.lastAcceptedAt)}</td></tr>`,
  );
  return `<table class="types"><thead><tr><th>type</th><th>events</th><th>rate</th><th>last minute</th><th>latest</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
};

const triggersTable = (flow: Flow): string => {
  if (flow.triggers.length === 0) return '';
  const rows = flow.triggers.map((t) => {
    const trouble = t.dead > 0 || t.failedAttempts > 0 ? ' class="trouble"' : '';
    return `<tr${trouble} data-trigger="${text(t.trigger)}"><td>${text(shortType(t.type))}</td><td>${text(t.trigger)}</td><td>${text(t.subscriber)}</td><td>${t.delivered}</td><td>${t.pending}</td><td>${t.retried}</td><td>${t.failedAttempts}</td><td class="dead">${t.dead}</td><td>${text(t.lastStatus ?? '')} ${text(t.lastError ?? '')}</td></tr>`;
  });
  return `<table class="triggers"><thead><tr><th>type</th><th>trigger</th><th>subscriber</th><th>delivered</th><th>pending</th><th>retried</th><th>failed attempts</th><th>dead</th><th>last status, error</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
};

const value = (m: MetricSeries): string =>
  m.count === null
    ? text(m.value)
    : `${m.count} (sum ${text(m.value === null ? '' : Number(m.value.toPrecision(6)))}${text(m.unit === '{order}' ? '' : ` ${m.unit}`)})`;

const metricsTable = (series: MetricSeries[]): string => {
  if (series.length === 0) return '<p class="quiet">No metrics received yet.</p>';
  const rows = series.map(
    (m) =>
      `<tr data-metric="${text(m.name)}"><td class="metric">${text(m.name)}</td><td>${text(m.service ?? '')}</td><td>${Object.entries(m.attributes)
        .map(([k, v]) => `${text(k)}=${text(v)}`)
        .join(', ')}</td><td class="value">${value(m)}</td><td>${text(m.unit)}</td></tr>`,
  );
  return `<table class="metrics"><thead><tr><th>metric</th><th>service</th><th>attributes</th><th>value</th><th>unit</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
};

export const renderFlow = (flow: Flow, series: MetricSeries[]): string =>
  `<section class="flow"><h3>Events in the last ${flow.windowSeconds} s</h3>${typesTable(flow)}
<h3>Deliveries by Trigger</h3>${triggersTable(flow) || '<p class="quiet">No deliveries.</p>'}
<h3>Metrics (latest point of each series)</h3>${metricsTable(series)}</section>`;
