// Knative's own Kafka broker data plane (eventing-kafka-broker's Java receiver and dispatcher) as
// plain processes, without Kubernetes: the bench's baseline for our broker, and a dispatcher that
// delivers to the functions of the local platform. What Knative's control plane does in a cluster
// is done here: the contract (the JSON form of its data-plane contract proto) written to a file both
// processes watch, the Broker's topic created, and the config of the release's ConfigMap
// (config-kafka-broker-data-plane) handed over as properties files.
//
// KNATIVE_DATA_PLANE_DIR is the `data-plane` directory of an eventing-kafka-broker checkout after
// `mvn package` (scripts/README.md, "Knative's data plane"): the jars under receiver-loom/target and
// dispatcher-loom/target, the ConfigMap under config/broker. Java 21 or later: JAVA_HOME's, else
// the `java` on PATH.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { parseAllDocuments } from 'yaml';
import type { DeliverySpec, Filter, TriggerSpec } from '../../local/routing.js';
import { deleteKafkaTopic } from '../../local/testing.js';
import { freePort, startProcess, temporaryDir, waitForHttp, type Child } from './processes.js';

// ---- the contract (proto/contract.proto of eventing-kafka-broker, JSON form) ---------------------

export interface EgressConfig {
  deadLetter?: string;
  retry?: number;
  backoffPolicy?: 'Exponential' | 'Linear';
  /** Milliseconds, as every duration of the contract. */
  backoffDelay?: number;
  timeout?: number;
}

export interface DialectedFilter {
  exact?: { attributes: Record<string, string> };
  prefix?: { attributes: Record<string, string> };
  suffix?: { attributes: Record<string, string> };
  all?: { filters: DialectedFilter[] };
  any?: { filters: DialectedFilter[] };
  not?: { filter: DialectedFilter };
}

export interface Reference {
  uuid: string;
  namespace: string;
  name: string;
  kind: string;
  groupVersion: string;
}

export interface Egress {
  uid: string;
  consumerGroup: string;
  destination: string;
  filter?: { attributes: Record<string, string> };
  dialectedFilter?: DialectedFilter[];
  egressConfig?: EgressConfig;
  deliveryOrder: 'ORDERED' | 'UNORDERED';
  reference: Reference;
}

export interface Contract {
  generation: number;
  resources: {
    uid: string;
    topics: string[];
    bootstrapServers: string;
    ingress: { path: string };
    egressConfig?: EgressConfig;
    egresses: Egress[];
    absentAuth: Record<string, never>;
    reference: Reference;
  }[];
}

/** The Broker a contract describes: its topic, its ingress path (`/<namespace>/<name>`) and its delivery defaults. */
export interface BrokerSpec {
  namespace: string;
  name: string;
  /** The ingress path; a Broker's is `/<namespace>/<name>`. */
  path?: string;
  topic: string;
  bootstrapServers: string;
  delivery?: DeliverySpec;
}

const egressConfigOf = (d: DeliverySpec, deadLetter: (trigger?: string) => string | undefined, trigger?: string): EgressConfig => {
  const sink = d.deadLetterSink ? deadLetter(trigger) : undefined;
  return {
    retry: d.retry,
    backoffPolicy: d.backoffPolicy === 'linear' ? 'Linear' : 'Exponential',
    backoffDelay: d.backoffDelayMs,
    timeout: d.timeoutMs,
    ...(sink ? { deadLetter: sink } : {}),
  };
};

const dialectedOf = (f: Filter): DialectedFilter[] => [
  ...(f.exact ? [{ exact: { attributes: f.exact } }] : []),
  ...(f.prefix ? [{ prefix: { attributes: f.prefix } }] : []),
  ...(f.suffix ? [{ suffix: { attributes: f.suffix } }] : []),
  ...(f.all ? [{ all: { filters: f.all.flatMap(dialectedOf) } }] : []),
  ...(f.any ? [{ any: { filters: f.any.flatMap(dialectedOf) } }] : []),
  ...(f.not ? [{ not: { filter: { all: { filters: dialectedOf(f.not) } } } }] : []),
];

export interface ContractOptions {
  broker: BrokerSpec;
  triggers: TriggerSpec[];
  /** The URL the dispatcher delivers a Trigger's events to. */
  destination(trigger: TriggerSpec): string;
  /** The URL of the dead-letter sink, per Trigger (undefined: the Broker's own delivery). */
  deadLetter(trigger?: string): string | undefined;
  /** Overrides each Trigger's `kafka.eventing.knative.dev/delivery.order`. */
  ordered?: (trigger: TriggerSpec) => boolean;
}

/** The contract Knative's control plane would write for this Broker and these Triggers. */
export const contractFor = (options: ContractOptions): Contract => {
  const { broker } = options;
  const ref = (kind: string, name: string): Reference => ({
    uuid: randomUUID(),
    namespace: broker.namespace,
    name,
    kind,
    groupVersion: 'eventing.knative.dev/v1',
  });
  const egresses = options.triggers.map((t): Egress => {
    const reference = ref('Trigger', t.name);
    const filters = t.filters && t.filters.length > 0 ? { dialectedFilter: t.filters.flatMap(dialectedOf) } : { filter: { attributes: t.attributes ?? {} } };
    return {
      uid: reference.uuid,
      // Named after the topic, so that dropping the topic drops the groups (deleteKafkaTopic).
      consumerGroup: `${broker.topic}.${t.name}`,
      destination: options.destination(t),
      ...filters,
      egressConfig: egressConfigOf(t.delivery, options.deadLetter, t.name),
      deliveryOrder: (options.ordered ?? ((x) => x.ordered))(t) ? 'ORDERED' : 'UNORDERED',
      reference,
    };
  });
  const reference = ref('Broker', broker.name);
  return {
    generation: 1,
    resources: [
      {
        uid: reference.uuid,
        topics: [broker.topic],
        bootstrapServers: broker.bootstrapServers,
        ingress: { path: broker.path ?? `/${broker.namespace}/${broker.name}` },
        ...(broker.delivery ? { egressConfig: egressConfigOf(broker.delivery, options.deadLetter) } : {}),
        egresses,
        absentAuth: {},
        reference,
      },
    ],
  };
};

// ---- finding the build and Java ------------------------------------------------------------------

export interface DataPlaneBuild {
  dir: string;
  receiverJar: string;
  dispatcherJar: string;
  java: string;
}

const shadedJar = (dir: string, module: string): string | undefined => {
  const target = join(dir, module, 'target');
  if (!existsSync(target)) return undefined;
  // The shaded jar carries every dependency; the others (original-*, *-shaded of a reduced build) do not run alone.
  const jar = readdirSync(target).find((f) => f.startsWith(`${module}-`) && f.endsWith('.jar') && !/-(shaded|tests|sources)\.jar$/.test(f));
  return jar ? join(target, jar) : undefined;
};

const javaMajor = (java: string): number | undefined => {
  const run = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return undefined;
  const m = /version "(\d+)/.exec(run.stderr);
  return m ? Number(m[1]) : undefined;
};

/** The built data plane and a Java to run it, or why not (for a "skipped" line). */
export const findDataPlane = (env: NodeJS.ProcessEnv = process.env): DataPlaneBuild | { skipped: string } => {
  const dir = env.KNATIVE_DATA_PLANE_DIR;
  if (!dir) return { skipped: 'KNATIVE_DATA_PLANE_DIR is not set (scripts/README.md, "Knative\'s data plane", says how to build it)' };
  const receiverJar = shadedJar(dir, 'receiver-loom');
  const dispatcherJar = shadedJar(dir, 'dispatcher-loom');
  if (!receiverJar || !dispatcherJar) return { skipped: `no receiver-loom/dispatcher-loom jars under ${dir}/*/target: build them first (mvn package)` };
  const java = env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
  const major = javaMajor(java);
  if (major === undefined) return { skipped: `java is missing (${java} does not run); set JAVA_HOME to a Java 21+` };
  if (major < 21) return { skipped: `${java} is Java ${major}; Knative's data plane needs 21 or later (set JAVA_HOME)` };
  return { dir, receiverJar, dispatcherJar, java };
};

// ---- running it --------------------------------------------------------------------------------

/** The release's properties files, from its ConfigMap, with what running without the control plane needs. */
const propertiesFiles = (dir: string): Record<string, string> => {
  const file = join(dir, 'config', 'broker', '100-config-kafka-broker-data-plane.yaml');
  const data = existsSync(file)
    ? ((parseAllDocuments(readFileSync(file, 'utf8'))[0]?.toJS() as { data?: Record<string, string> } | undefined)?.data ?? {})
    : {};
  const text = (name: string) => data[`config-kafka-broker-${name}.properties`] ?? '';
  const producer = text('producer');
  if (!/value\.serializer/.test(producer)) throw new Error(`${file} has no producer properties: is ${dir} a data-plane checkout?`);
  // Knative's control plane commits a new Trigger's offsets before the Trigger is ready; here the
  // dispatcher's consumers start on a topic of their own, so reading it from its start is the same.
  const consumer = text('consumer').replace(/^auto\.offset\.reset=.*$/m, 'auto.offset.reset=earliest');
  return { producer, consumer, webclient: text('webclient'), httpserver: text('httpserver') };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const LOGBACK = `<configuration>
  <appender name="out" class="ch.qos.logback.core.ConsoleAppender"><encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{36} %msg%n</pattern></encoder></appender>
  <root level="INFO"><appender-ref ref="out"/></root>
</configuration>
`;

export interface DataPlane {
  /** The Broker's address: what K_SINK is in a cluster. */
  ingressUrl: string;
  receiver: Child;
  dispatcher: Child;
  /** Replaces the contract; both processes pick the new one up. */
  update(contract: Contract): void;
  stop(): Promise<void>;
}

export interface DataPlaneOptions {
  build: DataPlaneBuild;
  contract: Contract;
  /** Where the processes' output goes (receiver.log, dispatcher.log). */
  logDir: string;
}

const commonEnv = (build: DataPlaneBuild, files: string, contractFile: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  PRODUCER_CONFIG_FILE_PATH: join(files, 'producer.properties'),
  CONSUMER_CONFIG_FILE_PATH: join(files, 'consumer.properties'),
  WEBCLIENT_CONFIG_FILE_PATH: join(files, 'webclient.properties'),
  HTTPSERVER_CONFIG_FILE_PATH: join(files, 'httpserver.properties'),
  DATA_PLANE_CONFIG_FILE_PATH: contractFile,
  CONFIG_OBSERVABILITY_PATH: join(files, 'observability'),
  CONFIG_FEATURES_PATH: join(files, 'features'),
  SERVICE_NAMESPACE: 'knative-eventing',
  LIVENESS_PROBE_PATH: '/healthz',
  READINESS_PROBE_PATH: '/readyz',
  METRICS_PUBLISH_QUANTILES: 'false',
  METRICS_JVM_ENABLED: 'false',
  EGRESSES_INITIAL_CAPACITY: '20',
  // How long the processes may take to start their servers and consumers (8 s in the release) on a busy machine.
  WAIT_STARTUP_SECONDS: '60',
  // INFO, as the release's logging config; without a config, logback logs every DEBUG line.
  JAVA_TOOL_OPTIONS: `-XX:+CrashOnOutOfMemoryError -Dlogback.configurationFile=${join(files, 'logback.xml')}`,
  JAVA_HOME: build.java.endsWith('/bin/java') ? build.java.slice(0, -'/bin/java'.length) : process.env.JAVA_HOME,
});

/** Starts the receiver and the dispatcher on `contract`; resolves once the receiver is ready. */
export const startDataPlane = async ({ build, contract, logDir }: DataPlaneOptions): Promise<DataPlane> => {
  const work = temporaryDir('gotuto-knative-dp-');
  const files = work.path;
  for (const [name, text] of Object.entries(propertiesFiles(build.dir))) writeFileSync(join(files, `${name}.properties`), text);
  writeFileSync(join(files, 'logback.xml'), LOGBACK);
  mkdirSync(join(files, 'observability'));
  mkdirSync(join(files, 'features'));
  const contractFile = join(files, 'contract.json');
  writeFileSync(contractFile, JSON.stringify(contract));
  mkdirSync(logDir, { recursive: true });
  const env = commonEnv(build, files, contractFile);
  const [ingressPort, tlsPort] = [await freePort(), await freePort()];
  const receiver = startProcess(build.java, ['-jar', build.receiverJar], {
    env: { ...env, SERVICE_NAME: 'kafka-broker-receiver', INGRESS_PORT: String(ingressPort), INGRESS_TLS_PORT: String(tlsPort), INSTANCE_ID: 'receiver' },
    logFile: join(logDir, 'receiver.log'),
  });
  const dispatcher = startProcess(build.java, ['-jar', build.dispatcherJar], {
    env: { ...env, SERVICE_NAME: 'kafka-broker-dispatcher', INSTANCE_ID: 'dispatcher' },
    logFile: join(logDir, 'dispatcher.log'),
  });
  const stop = async () => {
    await Promise.all([receiver.stop(10_000), dispatcher.stop(10_000)]);
    work.remove();
  };
  try {
    // Ready comes before the contract is read. The control plane's probe of a Broker's path (what
    // Knative does before it marks a Broker ready) answers 200 once the receiver serves it.
    const probe = { path: contract.resources[0]?.ingress.path ?? '/', headers: { 'K-Network-Probe': 'probe', 'K-Network-Hash': 'gotuto' }, intervalMs: 200 };
    const deadline = performance.now() + 120_000;
    while ((await waitForHttp(ingressPort, receiver, { ...probe, deadlineMs: deadline - performance.now() })).status !== 200) {
      if (performance.now() > deadline) throw new Error(`Knative's receiver did not take the contract within 120 s:\n${receiver.output()}`);
      await sleep(200);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  let generation = contract.generation;
  return {
    ingressUrl: `http://127.0.0.1:${ingressPort}${contract.resources[0]?.ingress.path ?? '/'}`,
    receiver,
    dispatcher,
    update: (next) => writeFileSync(contractFile, JSON.stringify({ ...next, generation: ++generation })),
    stop,
  };
};

/** A Broker topic of its own, as the control plane makes it from the Broker's config. */
export const createBrokerTopic = async (brokers: string, topic: string, partitions: number): Promise<{ drop(): Promise<void> }> => {
  const admin = new Kafka({ clientId: 'gotuto-bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
  return { drop: () => deleteKafkaTopic(brokers, topic).catch(() => undefined) };
};
