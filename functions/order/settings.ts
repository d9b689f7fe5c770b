// Order's settings from the environment, each with its production default. Read on every call,
// not at import, so a deployment (or a test) can change them without a new build; the Catalog
// breaker's own settings are read once, when the process makes its breaker (catalog.ts).

const positiveNumber = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
};

export const settings = {
  /** Seconds of inactivity after which an open cart expires. */
  cartTtlSeconds: () => positiveNumber('CART_TTL', 1800),
  /** Seconds a saga step with a deadline (reserving stock, invoicing) may take before the order is cancelled. */
  sagaStepTimeoutSeconds: () => positiveNumber('SAGA_STEP_TIMEOUT', 30),
  /**
   * Where Catalog answers `POST /catalog/products/validate`: the gateway locally, the Catalog
   * function's Service URL in a cluster.
   */
  catalogUrl: (): string => (process.env.CATALOG_URL || `http://127.0.0.1:${process.env.PORT || 8080}`).replace(/\/+$/, ''),
  /** How long a call to Catalog may take, in milliseconds. */
  catalogTimeoutMs: () => positiveNumber('CATALOG_TIMEOUT_MS', 2000),
  /** The Catalog circuit breaker: how long it stays open before one call may try again, in ms. */
  catalogBreakerResetMs: () => positiveNumber('CATALOG_BREAKER_RESET_MS', 10_000),
  /** The percentage of failed calls in the rolling window (10 s) that opens the breaker. */
  catalogBreakerErrorPercent: () => positiveNumber('CATALOG_BREAKER_ERROR_PERCENT', 50),
  /** Calls the rolling window must hold before the breaker may open. */
  catalogBreakerVolume: () => positiveNumber('CATALOG_BREAKER_VOLUME', 5),
};
