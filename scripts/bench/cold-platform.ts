// The platform of the cold-chain benchmark (scripts/bench/cold-chain.ts): `npm start -- --scale-to-zero`
// in a process of its own, every function from its bundle in dist/, stopped after --idle-ms:
//   node --import tsx scripts/bench/cold-platform.ts --data-dir <dir> --idle-ms <ms>
// Over its IPC channel it says when an order's saga ended (the broker accepted its order-confirmed
// or order-cancelled: no polling adds load to what is measured), lists the functions' processes,
// and answers once the broker is idle.
import { order } from '../../events/index.js';
import { startPlatform } from '../../local/platform.js';
import { DEFAULT_BUNDLES_DIR } from '../../local/scale-to-zero/bundles.js';
import { monotonicMs, type FromReceiver, type ToReceiver } from './broker-event.js';
import { stopWhenAsked } from './processes.js';

const argument = (name: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const dataDir = argument('--data-dir');
const idleMs = Number(argument('--idle-ms') ?? 10_000);
if (!dataDir || !(idleMs > 0)) throw new Error('usage: cold-platform.ts --data-dir <dir> --idle-ms <ms>');

const platform = await startPlatform({ port: 0, host: '127.0.0.1', dataDir, scaleToZero: { bundlesDir: DEFAULT_BUNDLES_DIR, idleMs } });
const send = (message: FromReceiver) => process.send?.(message);

// The ingress hands what publishers send to the broker's accept: seen there, an event is stored.
const ends = new Set([order.orderConfirmed.type, order.orderCancelled.type]);
const accept = platform.broker.accept.bind(platform.broker);
platform.broker.accept = async (...events) => {
  await accept(...events);
  const at = monotonicMs();
  for (const e of events) if (ends.has(e.type) && e.subject) send({ type: 'ended', eventType: e.type, subject: e.subject, at });
};

process.on('message', (message: ToReceiver) => {
  if (message.type === 'instances') send({ type: 'instances', instances: platform.scaler?.instances() ?? [] });
  if (message.type === 'settle') {
    platform.broker.idle(120_000).then(
      () => send({ type: 'settled' }),
      (error: unknown) => send({ type: 'settled', error: String(error) }),
    );
  }
});

stopWhenAsked(platform.stop, 30_000);
console.log(
  `cold-chain platform at ${platform.url} (${platform.embedded ? 'embedded PostgreSQL' : 'PostgreSQL at DATABASE_URL'}, functions stopped after ${idleMs} ms idle)`,
);
send({ type: 'ready', url: platform.url });
