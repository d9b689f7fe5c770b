// The local platform of `npm start` with Knative's data plane as its broker (scripts/bench/knative.ts):
// every function of the registry behind the gateway, but no Trigger of its own (only the Broker's
// config of knative/base), and functions publishing to --sink, the address of Knative's receiver,
// as a SinkBinding makes them do in a cluster. Knative's dispatcher delivers to the functions at
// /functions/<name> without the platform's delivery tokens, so it runs with
// DELIVERY_AUTH=network-policy (set by the caller).
//   node --import tsx scripts/bench/knative-platform.ts --sink <url> [--data-dir <dir>] [--port <port>]
// Tells its parent its URL over IPC ({ type: 'ready', url }), as broker-platform.ts does.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlatform } from '../../local/platform.js';
import type { FromReceiver } from './broker-event.js';
import { stopWhenAsked } from './processes.js';

const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const sink = argument('--sink');
if (!sink) throw new Error('--sink <url of the Broker ingress> is required');
const given = argument('--data-dir');
const dataDir = given ?? mkdtempSync(join(tmpdir(), 'gotuto-bench-knative-'));
const manifestsDir = mkdtempSync(join(tmpdir(), 'gotuto-bench-manifests-'));
copyFileSync(join(process.cwd(), 'knative', 'base', 'broker.yaml'), join(manifestsDir, 'broker.yaml'));

// --port: where a contract written before the start already points the dispatcher.
const platform = await startPlatform({ port: Number(argument('--port') ?? 0), host: '127.0.0.1', dataDir, manifestsDir });
// After the start, which points K_SINK at the platform's own ingress: the functions read it per publish.
process.env.K_SINK = sink;
console.log(`platform at ${platform.url}, publishing to ${sink}`);

stopWhenAsked(platform.stop, 10_000, () => {
  if (!given) rmSync(dataDir, { recursive: true, force: true });
  rmSync(manifestsDir, { recursive: true, force: true });
});
process.send?.({ type: 'ready', url: platform.url } satisfies FromReceiver);
