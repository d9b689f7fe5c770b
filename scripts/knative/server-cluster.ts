// A throwaway Kubernetes control plane for `npm run knative -- --server-check`: etcd, kube-apiserver
// and Knative's Serving and Eventing admission webhooks as plain processes on free ports, in a
// temporary folder. No kubelet and no controllers, so nothing runs, but `kubectl apply
// --dry-run=server` answers as a cluster's API server would: schema, defaulting, CEL rules and
// Knative's own validation.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { CACHE_DIR, binaryPath } from './server-build.js';
import { allCrds, webhookObjects } from './server-crds.js';

type Json = Record<string, unknown>;

export interface Cluster {
  kubeconfig: string;
  /** `kubectl apply --dry-run=server` of `yaml`; `refusals` are kubectl's error lines. */
  dryRun: (yaml: string) => { ok: boolean; refusals: string[]; output: string };
  /** Creates `namespaces` for real, each with its `default` ServiceAccount (no controller makes them). */
  ensureNamespaces: (namespaces: Iterable<string>) => void;
  /** Creates ServiceAccounts for real (their namespaces must exist). */
  ensureServiceAccounts: (accounts: ReadonlyArray<{ name: string; namespace: string }>) => void;
  stop: () => Promise<void>;
}

const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

// The API server reaches a webhook through its Service's Endpoints, which refuse loopback addresses.
const machineAddress = (): string => {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('the webhooks need a non-loopback IPv4 address on this machine (Endpoints refuse 127.0.0.1)');
  return address;
};

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

const tail = (log: string): string => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '(no log)');

// The folder (and the logs in it) is removed on stop: a process that does not come up is reported with its log's end.
const waitFor = async (what: string, ready: () => boolean, seconds: number, log?: string): Promise<void> => {
  const deadline = Date.now() + seconds * 1000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${seconds} s${log ? `; the end of its log:\n${tail(log)}` : ''}`);
    await sleep(250);
  }
};

interface Started {
  child: ChildProcess;
  name: string;
  log: string;
}

const start = (dir: string, name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started => {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(command, args, { env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  return { child, name, log };
};

// The webhooks ignore SIGTERM for about 20 s (they drain); nothing here needs draining.
const stopAll = async (started: Started[]): Promise<void> => {
  const alive = started.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
  await Promise.all(
    alive.reverse().map(
      (s) =>
        new Promise<void>((done) => {
          s.child.once('exit', () => done());
          s.child.kill('SIGTERM');
          setTimeout(() => s.child.kill('SIGKILL'), 2000).unref();
        }),
    ),
  );
};

const kubectl = (kubeconfig: string, args: string[], input?: string, cwd?: string): { status: number | null; stdout: string; stderr: string } => {
  const result = spawnSync('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=60s', ...args], {
    input,
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw new Error(`kubectl could not run (kubectl 1.32 on PATH): ${result.error.message}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
};

const kubectlOk = (kubeconfig: string, args: string[], input?: string): string => {
  const result = kubectl(kubeconfig, args, input);
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed:\n${result.stderr || result.stdout}`);
  return result.stdout;
};

// One file per object, named after it: kubectl names the file, not the object, when a webhook refuses
// one of many ("error when creating \"STDIN\": admission webhook ... denied the request").
const writeObjectFiles = (dir: string, yaml: string): void => {
  mkdirSync(dir, { recursive: true });
  parseAllDocuments(yaml).forEach((doc, i) => {
    const object = doc.toJSON() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
    if (!object) return;
    const name = [object.kind, object.metadata?.namespace, object.metadata?.name]
      .filter(Boolean)
      .join('_')
      .replace(/[^\w.-]/g, '-');
    writeFileSync(join(dir, `${String(i).padStart(4, '0')}_${name}.yaml`), doc.toString());
  });
};

const toYaml = (docs: Json[]): string => docs.map((d) => stringify(d)).join('---\n');

const startControlPlane = async (dir: string, started: Started[]): Promise<string> => {
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const peerUrl = `http://127.0.0.1:${etcdPeer}`;
  started.push(
    start(dir, 'etcd', binaryPath('etcd'), [
      `--data-dir=${join(dir, 'etcd')}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`, '--unsafe-no-fsync',
    ]), // prettier-ignore
  );
  const token = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'tokens.csv'), `${token},admin,admin,system:masters\n`);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  started.push(
    start(dir, 'kube-apiserver', binaryPath('kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`, `--secure-port=${apiPort}`, '--bind-address=127.0.0.1', `--advertise-address=${machineAddress()}`,
      `--cert-dir=${join(dir, 'certs')}`, `--token-auth-file=${join(dir, 'tokens.csv')}`, '--authorization-mode=AlwaysAllow',
      `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc', '--service-cluster-ip-range=10.96.0.0/16', '--enable-aggregator-routing=true',
      '--enable-priority-and-fairness=false',
    ]), // prettier-ignore
  );
  const kubeconfig = join(dir, 'kubeconfig');
  const server = `https://127.0.0.1:${apiPort}`;
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'check', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'admin', user: { token } }],
      contexts: [{ name: 'check', context: { cluster: 'check', user: 'admin', namespace: 'default' } }],
      'current-context': 'check',
    }),
  );
  const apiserver = started[started.length - 1] as Started;
  await waitFor('kube-apiserver', () => apiserver.child.exitCode === null && kubectl(kubeconfig, ['get', '--raw', '/readyz']).status === 0, 60, apiserver.log);
  return kubeconfig;
};

const WEBHOOKS = {
  serving: { namespace: 'knative-serving', service: 'webhook', binary: 'serving-webhook', env: { CONFIG_OBSERVABILITY_NAME: 'config-observability' } },
  eventing: { namespace: 'knative-eventing', service: 'eventing-webhook', binary: 'eventing-webhook', env: { SINK_BINDING_SELECTION_MODE: 'exclusion' } },
} as const;

// The webhooks write their CA bundle into their configurations (and the rules into the ones shipped
// without): they are ready when every configuration of theirs has both.
const webhooksReady = (kubeconfig: string, names: string[]): boolean =>
  names.every((name) => {
    const [kind, ...rest] = name.split('/');
    const got = kubectl(kubeconfig, ['get', kind as string, rest.join('/'), '-o', 'json']);
    if (got.status !== 0) return false;
    const webhooks = ((JSON.parse(got.stdout) as Json).webhooks ?? []) as { clientConfig?: { caBundle?: string } }[];
    return webhooks.length > 0 && webhooks.every((w) => Boolean(w.clientConfig?.caBundle));
  });

const startWebhook = async (dir: string, kubeconfig: string, which: keyof typeof WEBHOOKS, started: Started[]): Promise<void> => {
  const hook = WEBHOOKS[which];
  const port = await freePort();
  const objects = webhookObjects(which);
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: hook.service, namespace: hook.namespace },
    spec: { ports: [{ name: 'https-webhook', port: 443, targetPort: port }] },
  };
  const endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: hook.service, namespace: hook.namespace },
    subsets: [{ addresses: [{ ip: machineAddress() }], ports: [{ name: 'https-webhook', port }] }],
  };
  kubectlOk(kubeconfig, ['apply', '-f', '-'], toYaml([...objects.filter((o) => o.kind === 'ConfigMap' || o.kind === 'Secret'), service, endpoints]));
  const configurations = objects.filter((o) => String(o.kind).endsWith('WebhookConfiguration'));
  kubectlOk(kubeconfig, ['apply', '-f', '-'], toYaml(configurations));
  const env = {
    ...process.env,
    ...hook.env,
    KUBECONFIG: kubeconfig,
    SYSTEM_NAMESPACE: hook.namespace,
    POD_NAME: `${hook.service}-check`,
    CONFIG_LOGGING_NAME: 'config-logging',
    WEBHOOK_NAME: hook.service,
    WEBHOOK_PORT: String(port),
    KUBERNETES_MIN_VERSION: 'v1.32.0',
    // Their profiling and metrics servers default to fixed ports (8008, 9090) that two webhooks, or
    // anything else on the machine, would share.
    PROFILING_PORT: String(await freePort()),
    METRICS_PROMETHEUS_PORT: String(await freePort()),
  };
  const process_ = start(dir, hook.binary, binaryPath(hook.binary), [], env);
  started.push(process_);
  const names = configurations.map((c) => `${String(c.kind).toLowerCase()}/${(c.metadata as Json).name as string}`);
  await waitFor(`the Knative ${which} webhook`, () => process_.child.exitCode === null && webhooksReady(kubeconfig, names), 90, process_.log);
};

/** Starts everything, installs the CRDs and the webhooks; `stop` ends every process and removes the folder. */
export const startCluster = async (say: (line: string) => void = () => undefined): Promise<Cluster> => {
  mkdirSync(CACHE_DIR, { recursive: true });
  const dir = mkdtempSync(join(CACHE_DIR, 'run-'));
  const started: Started[] = [];
  // Ctrl-C or a CI timeout, also while starting: kill everything at once (synchronously: a kubectl
  // run may be blocking the event loop, and nothing here needs a graceful end), then leave.
  const killNow = (): void => started.forEach((s) => s.child.kill('SIGKILL'));
  const onSignal = (): void => {
    killNow();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killNow);
  const stop = async (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopAll(started);
    process.off('exit', killNow);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const kubeconfig = await startControlPlane(dir, started);
    say('kube-apiserver ready');
    // Server-side: a few CRDs exceed the 256 KiB annotation that client-side apply writes.
    kubectlOk(kubeconfig, ['apply', '--server-side', '--force-conflicts', '-f', '-'], toYaml(allCrds()));
    kubectlOk(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    say('CRDs established');
    const ensureNamespaces = (namespaces: Iterable<string>): void => {
      const docs = [...new Set(namespaces)].flatMap((name) => [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: name } },
      ]);
      if (docs.length > 0) kubectlOk(kubeconfig, ['apply', '-f', '-'], toYaml(docs));
    };
    const ensureServiceAccounts = (accounts: ReadonlyArray<{ name: string; namespace: string }>): void => {
      const unique = new Map(accounts.map((a) => [`${a.namespace}/${a.name}`, a]));
      const docs = [...unique.values()].map((a) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: a.name, namespace: a.namespace } }));
      if (docs.length > 0) kubectlOk(kubeconfig, ['apply', '-f', '-'], toYaml(docs));
    };
    ensureNamespaces(['default', WEBHOOKS.serving.namespace, WEBHOOKS.eventing.namespace]);
    await Promise.all([startWebhook(dir, kubeconfig, 'serving', started), startWebhook(dir, kubeconfig, 'eventing', started)]);
    say('Knative webhooks ready');
    let dryRuns = 0;
    const dryRun = (yaml: string): { ok: boolean; refusals: string[]; output: string } => {
      const objects = join(dir, `dry-run-${++dryRuns}`);
      writeObjectFiles(objects, yaml);
      const result = kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', '.'], undefined, objects);
      rmSync(objects, { recursive: true, force: true });
      const refusals = result.stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('Warning:'));
      return { ok: result.status === 0, refusals, output: result.stdout + result.stderr };
    };
    return { kubeconfig, dryRun, ensureNamespaces, ensureServiceAccounts, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};
