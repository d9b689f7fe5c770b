// The scale-to-zero mode of the local platform (`npm start -- --scale-to-zero`): every function with
// a built bundle runs in a process of its own, as a Knative Service does, started by the first
// request or delivery that needs it and stopped after the idle time. The gateway, the brokers and
// the schedules do not change: they reach a function through its mount, and a mount of this mode
// sends the request on to the function's process (instance.ts). Functions without a bundle (the
// views of the local broker, functions a test adds) stay in the platform's process.
import { existsSync } from 'node:fs';
import type { RegisteredFunction } from '../../functions/runtime/definition.js';
import type { HttpRequest, HttpResponse } from '../../functions/runtime/http.js';
import type { Logger } from '../../functions/runtime/log.js';
import { bundlePath } from './bundles.js';
import { createInstance, type Instance, type InstanceView } from './instance.js';

export interface ScaleToZeroOptions {
  /** The folder holding functions/<name>.js (`npm run build`'s dist/). */
  bundlesDir: string;
  /** Time without a request after which a function's process is stopped (Knative's stable window: 60 s). */
  idleMs: number;
  /** Longest a start may take before the requests it holds are answered 503 (default 30 s). */
  startTimeoutMs?: number;
}

export interface Scaler {
  /** How the gateway invokes `fn` in this mode: through its process; undefined when it has no bundle. */
  invokerFor(fn: RegisteredFunction): ((req: HttpRequest) => Promise<HttpResponse>) | undefined;
  /** Every function that runs in a process of its own, and its state. */
  instances(): InstanceView[];
  /** Stops every process. */
  stop(): Promise<void>;
}

export const DEFAULT_IDLE_MS = 60_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;

/**
 * TRUSTED_PROXIES for a function behind the gateway: one hop more than the platform's own setting,
 * since the gateway adds the address it saw to X-Forwarded-For; a client's own header is still not believed.
 */
export const behindGateway = (setting: string | undefined): string => {
  const value = (setting ?? '').trim();
  if (value === '') return '1';
  if (/^\d+$/.test(value)) return String(Number(value) + 1);
  return `${value},loopback`;
};

/** The environment of a function's process: the platform's own, and what a Knative Service sets. */
const environment = (name: string, port: number): NodeJS.ProcessEnv => ({
  // Read at each start: settings the platform made after it began (K_SINK, issuers, telemetry) reach every process.
  ...process.env,
  PORT: String(port),
  HOST: '127.0.0.1',
  FUNCTION_TARGET: name,
  K_SERVICE: name,
  K_CONFIGURATION: name,
  K_REVISION: `${name}-local`,
  TRUSTED_PROXIES: behindGateway(process.env.TRUSTED_PROXIES),
});

export const createScaler = (functions: RegisteredFunction[], options: ScaleToZeroOptions, log: Logger): Scaler => {
  const instances = new Map<string, Instance>();
  for (const fn of functions) {
    const bundle = bundlePath(options.bundlesDir, fn.name);
    if (!existsSync(bundle)) continue;
    instances.set(
      fn.name,
      createInstance({
        name: fn.name,
        bundle,
        idleMs: options.idleMs,
        startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
        env: (port) => environment(fn.name, port),
        log,
      }),
    );
  }
  log.info('scale to zero', { processes: instances.size, inPlatform: functions.length - instances.size, idleMs: options.idleMs });
  return {
    invokerFor: (fn) => instances.get(fn.name)?.invoke,
    instances: () => [...instances.values()].map((i) => i.view()),
    stop: async () => {
      await Promise.all([...instances.values()].map((i) => i.close()));
    },
  };
};
