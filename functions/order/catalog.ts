// The one synchronous call between contexts: Catalog's `POST /catalog/products/validate`, for the
// current name and price of what a cart holds. Behind a timeout and one circuit breaker per
// process (opossum): when Catalog is down, slow or the breaker is open, the caller gets
// Unavailable (503 with Retry-After) and changes nothing.
import CircuitBreaker from 'opossum';
import type { Money } from '../../events/index.js';
import type { BaseContext } from '../runtime/definition.js';
import { Unavailable } from '../runtime/errors.js';
import { rootLogger } from '../runtime/log.js';
import { clientSpan, type Annotate } from '../runtime/telemetry.js';
import type { ProductCheck } from './cart.js';
import { settings } from './settings.js';

export interface CatalogItem {
  productId: string;
  quantity: number;
}

export interface CatalogAnswer {
  valid: boolean;
  items: ProductCheck[];
}

/** Catalog answered, but not with an answer: a failure of Catalog, like being down. */
class CatalogFailed extends Error {}

const isMoney = (value: unknown): value is Money =>
  typeof value === 'object' && value !== null && Number.isSafeInteger((value as Money).amount) && typeof (value as Money).currency === 'string';

/** Catalog's answer, if it is one: an answer that is not is a failure of Catalog, like a 5xx. */
const readAnswer = (body: unknown): CatalogAnswer => {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) throw new CatalogFailed('Catalog answered without items');
  return {
    valid: (body as { valid?: unknown }).valid === true,
    items: items.map((raw: Record<string, unknown>): ProductCheck => {
      if (typeof raw?.productId !== 'string' || typeof raw.valid !== 'boolean') throw new CatalogFailed('Catalog answered a malformed item');
      const valid = raw.valid && typeof raw.name === 'string' && isMoney(raw.unitPrice);
      return {
        productId: raw.productId,
        quantity: Number(raw.quantity),
        valid,
        ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
        ...(isMoney(raw.unitPrice) ? { unitPrice: { amount: raw.unitPrice.amount, currency: raw.unitPrice.currency } } : {}),
        ...(typeof raw.reason === 'string' ? { reason: raw.reason } : {}),
      };
    }),
  };
};

const VALIDATE = '/catalog/products/validate';

/** The call, a CLIENT span of the caller's trace whose context Catalog continues. */
const callCatalog = (items: CatalogItem[], correlationId: string): Promise<CatalogAnswer> => {
  const url = `${settings.catalogUrl()}${VALIDATE}`;
  return clientSpan(`POST ${VALIDATE}`, { 'http.request.method': 'POST', 'url.full': url, 'peer.service': 'catalog' }, (trace, annotate) =>
    askCatalog(url, items, correlationId, trace, annotate),
  );
};

const askCatalog = async (
  url: string,
  items: CatalogItem[],
  correlationId: string,
  trace: Record<string, string>,
  annotate: Annotate,
): Promise<CatalogAnswer> => {
  // The timeout covers the whole exchange, the body included.
  const signal = AbortSignal.timeout(settings.catalogTimeoutMs());
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-correlation-id': correlationId, ...trace },
    body: JSON.stringify({ items }),
    signal,
  });
  annotate('http.response.status_code', response.status);
  if (!response.ok) {
    await response.arrayBuffer().catch(() => undefined);
    throw new CatalogFailed(`Catalog answered ${response.status}`);
  }
  const body: unknown = await response.json().catch((error: unknown) => {
    throw error instanceof SyntaxError ? new CatalogFailed('Catalog answered something that is not JSON') : error;
  });
  return readAnswer(body);
};

type Breaker = CircuitBreaker<[CatalogItem[], string], CatalogAnswer>;
let breaker: Breaker | undefined;
let resetMs = 0;
let openedAt = 0;

/** The process's breaker, made on first use with the settings of that moment. */
const catalogBreaker = (): Breaker => {
  if (!breaker) {
    resetMs = settings.catalogBreakerResetMs();
    const made: Breaker = new CircuitBreaker(callCatalog, {
      name: 'catalog',
      // The call has its own timeout (it aborts the request); opossum's would leave it running.
      timeout: false,
      resetTimeout: resetMs,
      errorThresholdPercentage: settings.catalogBreakerErrorPercent(),
      volumeThreshold: settings.catalogBreakerVolume(),
    });
    made.on('open', () => {
      openedAt = Date.now();
      rootLogger.warn('Catalog circuit breaker opened', { resetMs });
    });
    made.on('halfOpen', () => rootLogger.info('Catalog circuit breaker half-open: the next call tries Catalog'));
    made.on('close', () => rootLogger.info('Catalog circuit breaker closed'));
    breaker = made;
  }
  return breaker;
};

/** Seconds until an open breaker lets a call through again (at least 1). */
const secondsUntilHalfOpen = (): number => Math.max(1, Math.ceil((openedAt + resetMs - Date.now()) / 1000));

/**
 * What Catalog says now about each item: its product's current name and unit price, or why it
 * cannot be ordered. Throws Unavailable when Catalog cannot answer.
 */
export const validateItems = async (items: CatalogItem[], ctx: Pick<BaseContext, 'correlationId' | 'log'>): Promise<CatalogAnswer> => {
  const circuit = catalogBreaker();
  try {
    return await circuit.fire(items, ctx.correlationId);
  } catch (error) {
    const { code, name, message } = error as { code?: string; name?: string; message?: string };
    if (code === 'EOPENBREAKER') {
      throw new Unavailable('Catalog is unavailable (circuit open); try again later', secondsUntilHalfOpen());
    }
    ctx.log.warn('Catalog call failed', { error: message, name });
    if (name === 'TimeoutError') throw new Unavailable(`Catalog did not answer within ${settings.catalogTimeoutMs()} ms; try again later`, 2);
    if (error instanceof CatalogFailed) throw new Unavailable(`${message}; try again later`, 2);
    throw new Unavailable(`Catalog could not be reached (${message}); try again later`, 2);
  }
};

/** Forgets the process's breaker; the next call makes a new one (tests). */
export const resetCatalogBreaker = (): void => {
  breaker?.shutdown();
  breaker = undefined;
  openedAt = 0;
};
