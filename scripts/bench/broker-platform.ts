// The receiver of the broker benchmark: the local platform of `npm start` (every function of the
// registry, the Triggers of knative/base, its embedded broker), plus one no-op event handler,
// platform-bench-noop, and a Trigger that routes the benchmark's event type to it. Run by
// scripts/bench/broker.ts as its own process, so that sender and platform do not share a CPU
// queue:
//   node --import tsx scripts/bench/broker-platform.ts [--data-dir <dir>] [--subscriber <url>] [--bench-trigger-only] [--partitions <n>]
// It listens on a free port of 127.0.0.1 and prints its URL. PostgreSQL is DATABASE_URL, or,
// unset, the embedded one in <dir> (default: a temporary directory, removed on exit). The handler
// keeps, per event, its receive time minus the send time the event carries (both monotonicMs());
// with an IPC channel, the parent asks for the count and the figures (broker-event.ts).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handler, type RegisteredFunction } from '../../functions/runtime/definition.js';
import { startPlatform } from '../../local/platform.js';
import type { TriggerSpec } from '../../local/routing.js';
import { benchPinged, monotonicMs, type FromReceiver, type ToReceiver } from './broker-event.js';
import { stopWhenAsked } from './processes.js';

const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const given = argument('--data-dir');
// --subscriber <url>: the benchmark's Trigger delivers to that URL (a bare node:http receiver that
// keeps the figures) instead of the no-op handler.
const subscriberUri = argument('--subscriber');
// --bench-trigger-only: no Trigger of knative/base, only the benchmark's (the Broker and its config
// are still those of knative/base): the figure is the broker's own, not that of 25 other Triggers
// reading the same events.
const benchTriggerOnly = process.argv.includes('--bench-trigger-only');
// --partitions <n>: the Kafka broker's topic gets n partitions instead of the broker config's.
const partitions = argument('--partitions');
const manifestsDir = benchTriggerOnly || partitions ? mkdtempSync(join(tmpdir(), 'gotuto-bench-manifests-')) : undefined;
if (manifestsDir) {
  const base = join(process.cwd(), 'knative', 'base');
  cpSync(benchTriggerOnly ? join(base, 'broker.yaml') : base, benchTriggerOnly ? join(manifestsDir, 'broker.yaml') : manifestsDir, { recursive: true });
  const config = join(manifestsDir, 'broker.yaml');
  if (partitions)
    writeFileSync(config, readFileSync(config, 'utf8').replace(/default\.topic\.partitions: "\d+"/, `default.topic.partitions: "${Number(partitions)}"`));
}
const dataDir = given ?? mkdtempSync(join(tmpdir(), 'gotuto-bench-broker-'));

let latencies: number[] = [];
let lastAt = 0;
const seen = new Set<string>();

const noop: RegisteredFunction = {
  name: 'platform-bench-noop',
  context: 'platform',
  path: 'platform/handlers/bench-noop',
  definition: handler({
    event: benchPinged,
    // Called once the event is validated and recorded in the inbox, in the handler's transaction.
    handle: async (event) => {
      const now = monotonicMs();
      if (seen.has(event.id)) return;
      seen.add(event.id);
      latencies.push(now - event.data.sentAt);
      lastAt = now;
    },
  }),
};

const trigger: TriggerSpec = {
  name: 'platform-bench-noop',
  filters: [{ exact: { type: benchPinged.type } }],
  subscriber: subscriberUri ? { uri: subscriberUri } : { service: noop.name },
  delivery: { retry: 3, backoffPolicy: 'exponential', backoffDelayMs: 200, timeoutMs: 10_000 },
  ordered: false,
};

const platform = await startPlatform({ port: 0, host: '127.0.0.1', dataDir, manifestsDir, extraFunctions: [noop], extraTriggers: [trigger] });
console.log(
  `bench platform at ${platform.url} (${platform.embedded ? `embedded PostgreSQL in ${dataDir}` : 'PostgreSQL at DATABASE_URL'}, ${platform.brokerKind} broker)`,
);

const send = (message: FromReceiver) => process.send?.(message);
process.on('message', (message: ToReceiver) => {
  if (message.type === 'count') send({ type: 'count', count: latencies.length });
  if (message.type === 'take') {
    send({ type: 'samples', latenciesMs: latencies, lastAt });
    latencies = [];
  }
});

stopWhenAsked(platform.stop, 10_000, () => {
  if (!given) rmSync(dataDir, { recursive: true, force: true });
  if (manifestsDir) rmSync(manifestsDir, { recursive: true, force: true });
});
send({ type: 'ready', url: platform.url });
