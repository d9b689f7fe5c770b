import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReceivedEvent } from '../events/index.js';
import { registry } from '../functions/index.js';
import { loadRouting, matchesFilter, matchesTrigger, parseDuration, type TriggerSpec } from './routing.js';

const event = (over: Partial<ReceivedEvent<unknown>> = {}): ReceivedEvent<unknown> => ({
  id: '1',
  type: 'com.gotuto.billing.invoice-created.v1',
  source: '/gotuto/billing',
  subject: 'abc',
  time: '2026-01-01T00:00:00Z',
  data: {},
  extensions: { tenant: 'eu-west' },
  ...over,
});

const trigger = (over: Partial<TriggerSpec>): TriggerSpec => ({
  name: 't',
  subscriber: { service: 'x' },
  delivery: { retry: 0, backoffPolicy: 'exponential', backoffDelayMs: 10, timeoutMs: 1000 },
  ordered: false,
  ...over,
});

describe('Trigger filters', () => {
  it('matches filter.attributes exactly, an empty value matching anything', () => {
    expect(matchesTrigger(trigger({ attributes: { type: 'com.gotuto.billing.invoice-created.v1' } }), event())).toBe(true);
    expect(matchesTrigger(trigger({ attributes: { type: 'com.gotuto.billing.invoice-created' } }), event())).toBe(false);
    expect(matchesTrigger(trigger({ attributes: { type: 'com.gotuto.billing.invoice-created.v1', source: '' } }), event())).toBe(true);
    expect(matchesTrigger(trigger({ attributes: { tenant: 'eu-west' } }), event())).toBe(true);
    expect(matchesTrigger(trigger({}), event())).toBe(true);
  });

  it('supports the exact, prefix, suffix, all, any and not dialects', () => {
    const e = event();
    expect(matchesFilter({ exact: { source: '/gotuto/billing' } }, e)).toBe(true);
    expect(matchesFilter({ prefix: { type: 'com.gotuto.billing.' } }, e)).toBe(true);
    expect(matchesFilter({ prefix: { type: 'com.gotuto.order.' } }, e)).toBe(false);
    expect(matchesFilter({ suffix: { type: '.v1' } }, e)).toBe(true);
    expect(matchesFilter({ suffix: { type: '.v2' } }, e)).toBe(false);
    expect(matchesFilter({ all: [{ prefix: { type: 'com.gotuto.' } }, { suffix: { type: '.v1' } }] }, e)).toBe(true);
    expect(matchesFilter({ all: [{ prefix: { type: 'com.gotuto.' } }, { suffix: { type: '.v2' } }] }, e)).toBe(false);
    expect(matchesFilter({ any: [{ exact: { subject: 'zzz' } }, { exact: { subject: 'abc' } }] }, e)).toBe(true);
    expect(matchesFilter({ any: [{ exact: { subject: 'zzz' } }] }, e)).toBe(false);
    expect(matchesFilter({ not: { exact: { subject: 'abc' } } }, e)).toBe(false);
    expect(matchesFilter({ not: { prefix: { type: 'com.gotuto.order.' } } }, e)).toBe(true);
    expect(matchesFilter({ exact: { missing: 'x' } }, e)).toBe(false);
  });

  it('ignores filter.attributes when filters are given, as Knative does', () => {
    const t = trigger({ attributes: { type: 'nope' }, filters: [{ prefix: { type: 'com.gotuto.' } }] });
    expect(matchesTrigger(t, event())).toBe(true);
  });
});

describe('ISO 8601 durations', () => {
  it('parses what Triggers use', () => {
    expect(parseDuration('PT0.5S')).toBe(500);
    expect(parseDuration('PT30S')).toBe(30_000);
    expect(parseDuration('PT1M30S')).toBe(90_000);
    expect(parseDuration('P1DT1H')).toBe(25 * 3600_000);
    expect(() => parseDuration('30s')).toThrow(/ISO 8601/);
    expect(() => parseDuration('PT')).toThrow(/ISO 8601/);
  });
});

describe('routing from knative/base', () => {
  const routing = loadRouting(join(process.cwd(), 'knative', 'base'));

  it('has a Trigger for every event handler, with the Broker defaults and a dead-letter sink', () => {
    const handlers = registry.filter((f) => f.definition.kind === 'handler' && f.definition.event);
    for (const fn of handlers) {
      const t = routing.triggers.find((x) => x.subscriber.service === fn.name);
      expect(t, fn.name).toBeDefined();
      // The sink learns the Trigger from the relative URI under its Service; its token names its function.
      expect(t?.delivery.deadLetterSink).toEqual({ service: 'platform-dead-letters', uri: `/?trigger=${t?.name}`, audience: 'platform-dead-letters' });
      expect(t?.subscriber.audience).toBe(fn.name);
      expect(t?.delivery.retry).toBeGreaterThan(0);
    }
  });

  it('has a PingSource for every scheduled function', () => {
    const scheduled = registry.filter((f) => f.definition.kind === 'handler' && f.definition.schedule);
    expect(scheduled.length).toBeGreaterThan(0);
    for (const fn of scheduled)
      expect(
        routing.pings.find((p) => p.sink.service === fn.name),
        fn.name,
      ).toBeDefined();
  });
});
