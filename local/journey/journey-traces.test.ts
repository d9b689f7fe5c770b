// The order journey page with the traces the platform itself exports: `npm start`'s way
// (receiveTelemetry: the functions and the broker send OTLP to the platform's own receiver), an order
// placed through the stack to confirmed, then its page opened by the order's number in Chromium.
// Spans leave in batches, so the reader searches again until the saga's last hop is in, as a
// person would; the waterfall then holds one trace with every function of the saga, the broker's
// delivery attempts between them, and no span whose parent is missing.
import type { Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { chromium } from '../browser-testing.js';
import { poolFor } from '../../functions/runtime/db.js';
import { tracesFor } from '../otlp/spans.js';
import { openPage, placeOrder } from './journey-testing.js';
import { SAGA_FUNCTIONS as SAGA, usePlatform } from './platform-testing.js';

process.env.JWT_SECRET ??= 'journey-traces-secret-journey-traces-secret';
// The platform's own receiver is where its functions export (receiveTelemetry), not a setting left over.
delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

const shop = usePlatform({ start: { receiveTelemetry: true }, browser: true });
const { call } = shop;

type Row = { depth: number; fn: string; name: string; kind: string; orphan: boolean; attrs: string };

/** The waterfall as the page draws it: one entry per trace, its rows in tree order. */
const waterfalls = (page: Page) =>
  page.$$eval('.trace', (traces) =>
    traces.map((t) => ({
      heading: t.querySelector('h4')?.textContent ?? '',
      rows: Array.from(t.querySelectorAll('.waterfall .span')).map((li) => ({
        depth: Number.parseInt(li.querySelector('.label')?.getAttribute('style')?.replace(/\D+/g, '') ?? '0', 10) / 14,
        fn: li.querySelector('.fn')?.textContent ?? '',
        name: li.querySelector('.name')?.textContent ?? '',
        kind:
          Array.from(li.classList)
            .find((c) => c.startsWith('kind-'))
            ?.slice(5) ?? '',
        orphan: li.querySelector('.orphan') !== null,
        attrs: Array.from(li.querySelectorAll('.attr'))
          .map((a) => a.textContent)
          .join(' '),
      })),
    })),
  );

/** Searches for `q` until the waterfall shows a server span of each saga function (bounded: spans leave in batches of a few seconds). */
const searchUntilTraced = async (page: Page, q: string) => {
  const deadline = Date.now() + 45_000;
  for (;;) {
    await page.$eval('#search-input', (input) => ((input as HTMLInputElement).value = ''));
    await page.type('#search-input', q);
    await page.click('#search button[type=submit]');
    await page.waitForFunction((wanted: string) => document.body.innerText.includes(`Order ${wanted}`), { timeout: 30_000 }, q);
    const shown = await waterfalls(page);
    const servers = new Set(shown.flatMap((t) => t.rows.filter((r: Row) => r.kind === 'server').map((r: Row) => r.fn)));
    if (SAGA.every((fn) => servers.has(fn))) return shown;
    if (Date.now() > deadline) throw new Error(`after 45 s the page shows server spans of ${[...servers].join(', ') || 'none'} only`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
};

describe.skipIf(!chromium)('the order journey page with the spans the platform exports (needs Chromium)', () => {
  it('shows one waterfall of the saga: each function, the deliveries between them, every parent received', async () => {
    const placed = await placeOrder(call, shop.admin);
    const { page, outside } = await openPage(shop.browser, shop.platform.url, shop.admin);
    const traces = await searchUntilTraced(page, placed.number);

    const saga = traces.filter((t) => t.rows.some((r: Row) => r.fn === 'order-checkout'));
    expect(saga).toHaveLength(1);
    const rows = (saga[0] as { rows: Row[] }).rows;
    // The checkout began the trace; nothing in it lacks its parent.
    expect(rows[0]).toMatchObject({ depth: 0, fn: 'order-checkout', kind: 'server' });
    expect(rows.filter((r) => r.orphan)).toEqual([]);
    expect(rows.filter((r) => r.depth === 0)).toHaveLength(1);
    // Each handler of the saga sits under the broker's delivery attempt that brought it its event.
    for (const fn of SAGA.filter((name) => name.includes('-on-'))) {
      const at = rows.findIndex((r) => r.fn === fn && r.kind === 'server');
      const parent = rows
        .slice(0, at)
        .reverse()
        .find((r) => r.depth === (rows[at] as Row).depth - 1) as Row;
      expect(parent, fn).toMatchObject({ kind: 'client', name: `deliver ${fn}` });
      expect(parent.attrs, fn).toMatch(new RegExp(`gotuto\\.trigger=${fn}\\b.*gotuto\\.delivery\\.attempt=1.*http\\.response\\.status_code=204`));
    }
    // Catalog's validation is a call the checkout made, not an event.
    const validate = rows.findIndex((r) => r.fn === 'catalog-validate-products');
    expect(rows[validate - 1]).toMatchObject({ kind: 'client', name: 'POST /catalog/products/validate' });
    // The broker took each event the saga published, and the page lists each with its deliveries.
    expect(rows.filter((r) => r.name === 'POST /broker').length).toBeGreaterThanOrEqual(4);
    const text = await page.evaluate(() => document.body.innerText);
    for (const [type, trigger] of [
      ['order.order-placed', 'inventory-on-order-placed'],
      ['inventory.stock-reserved', 'order-on-stock-reserved'],
      ['order.invoice-requested', 'billing-on-invoice-requested'],
      ['billing.invoice-created', 'order-on-invoice-created'],
      ['order.order-confirmed', 'notification-on-order-confirmed'],
    ]) {
      expect(text).toContain(type);
      expect(text).toMatch(new RegExp(`${trigger}\\s+${trigger}\\s+delivered\\s+1 attempt`));
    }
    expect(text).not.toContain('parent not received');
    // The trace is found by what its spans carry, not only by the events' traceparent: the order's
    // id and number (Order's spans), the checkout's correlation id, the order-placed event's id.
    const sagaTrace = /trace ([0-9a-f]{32})/.exec((saga[0] as { heading: string }).heading)?.[1];
    const placedEvent = (await call('GET', `/broker/events?type=com.gotuto.order.order-placed.v1&subject=${placed.id}`, shop.admin)).body.items[0].event;
    const db = await poolFor('platform');
    for (const key of [placed.id, placed.number, placedEvent.correlationid, placedEvent.id]) expect(await tracesFor(db, [key]), key).toContain(sagaTrace);
    expect(outside).toEqual([]);
    await page.close();
  }, 180_000);
});
