// npm run kafka -- start|stop|status|reset: a single-node Apache Kafka (KRaft, broker and controller
// in one JVM) on 127.0.0.1, for tests and local runs, without Docker or a Kafka download site.
//
// Kafka comes from Maven Central through `mvn` (org.apache.kafka:kafka_2.13 and its runtime
// dependencies, plus log4j-slf4j-impl: Kafka 4 logs through log4j2 and its POMs bring no SLF4J
// binding) into .cache/kafka/<version>/lib, once; the machine's Java (17+) runs it.
//
// Version: 4.4.0, the newest Kafka served by Maven Central here. kafkajs 2.2.4 works against it:
// Kafka 4 removed old request versions (KIP-896; 4.4 answers Fetch from v4, ListOffsets v1,
// OffsetCommit v2, OffsetFetch v1, CreateTopics v2, DeleteTopics v1, DescribeConfigs v1), but
// kafkajs takes the highest version both sides know, always its own newest (Produce v7, Fetch v11,
// ListOffsets v3, OffsetCommit v5, OffsetFetch v3, JoinGroup v5, CreateTopics v3, ...), above
// every minimum. Checked against the broker: topics and partitions, describe configs, an
// idempotent producer with acks=all, a transactional producer with sendOffsets, a consumer group
// (classic protocol) committing by hand, describe/list/delete groups, fetch/set/reset offsets,
// delete records. So Kafka 3.9 (the last 3.x) was not needed.
// See scripts/kafka/README.md.
//
//   start    resolve (first time), format (first time), start, wait until kafkajs lists topics;
//            prints KAFKA_BROKERS=127.0.0.1:<port>. Does nothing when already running.
//   stop     SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT seconds (default 30)
//   status   running or stopped, and the bootstrap address; exit code 0 running (and answering),
//            3 stopped, 1 running but not answering (yet)
//   reset    stop, and delete the data (topics, offsets)
//
// Environment: KAFKA_PORT (9092; the controller listens on KAFKA_PORT + 1, or
// KAFKA_CONTROLLER_PORT), KAFKA_VERSION (4.4.0; 4.x), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m),
// KAFKA_JVM_OPTS (G1, C1 only), KAFKA_STATE_DIR (.cache/kafka: configuration, data, pid and log; a
// second broker on another KAFKA_PORT needs a folder of its own), KAFKA_START_TIMEOUT (90 s), KAFKA_STOP_TIMEOUT (30 s), JAVA_HOME
// (else `java` on the PATH). Maven's own settings apply (~/.m2, MAVEN_OPTS).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Pinned with the Kafka version: log4j2 of kafka-server's POM, for the SLF4J 1.x binding. */
export const DEFAULT_KAFKA_VERSION = '4.4.0';
const LOG4J_VERSION = '2.25.5';
const DEPENDENCY_PLUGIN_VERSION = '3.8.1';
export const HOST = '127.0.0.1';
// C1 only: half the CPU time to start (measured 5-6 s instead of 10-11 s), for a broker that serves
// tests; KAFKA_JVM_OPTS='-XX:+UseG1GC' gives the full JIT back, for measurements.
const DEFAULT_JVM_OPTS = '-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:TieredStopAtLevel=1';

export interface KafkaOptions {
  version: string;
  port: number;
  controllerPort: number;
  /** .cache/kafka: the resolved jars, per version */
  cacheDir: string;
  /** Configuration, data, pid and log of one broker: KAFKA_STATE_DIR, else the cache folder. */
  stateDir: string;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  heapOpts: string[];
  jvmOpts: string[];
  java: string;
}

const intFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not '${raw}'`);
  return value;
};

export const optionsFromEnv = (): KafkaOptions => {
  const port = intFromEnv('KAFKA_PORT', 9092);
  const version = process.env.KAFKA_VERSION || DEFAULT_KAFKA_VERSION;
  if (!/^4\.\d+\.\d+$/.test(version)) throw new Error(`KAFKA_VERSION must be a Kafka 4.x release (like ${DEFAULT_KAFKA_VERSION}), not '${version}'`);
  return {
    version,
    port,
    controllerPort: intFromEnv('KAFKA_CONTROLLER_PORT', port + 1),
    cacheDir: join(ROOT, '.cache', 'kafka'),
    stateDir: process.env.KAFKA_STATE_DIR ? resolve(process.env.KAFKA_STATE_DIR) : join(ROOT, '.cache', 'kafka'),
    startTimeoutMs: intFromEnv('KAFKA_START_TIMEOUT', 90) * 1000,
    stopTimeoutMs: intFromEnv('KAFKA_STOP_TIMEOUT', 30) * 1000,
    heapOpts: (process.env.KAFKA_HEAP_OPTS || '-Xms256m -Xmx512m').split(/\s+/).filter(Boolean),
    jvmOpts: (process.env.KAFKA_JVM_OPTS || DEFAULT_JVM_OPTS).split(/\s+/).filter(Boolean),
    java: process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java',
  };
};

const paths = (o: KafkaOptions) => ({
  versionDir: join(o.cacheDir, o.version),
  lib: join(o.cacheDir, o.version, 'lib'),
  configDir: join(o.stateDir, 'config'),
  serverProperties: join(o.stateDir, 'config', 'server.properties'),
  log4j: join(o.stateDir, 'config', 'log4j2.properties'),
  toolLog4j: join(o.stateDir, 'config', 'tool-log4j2.properties'),
  data: join(o.stateDir, 'data'),
  formatted: join(o.stateDir, 'data', 'gotuto-format.json'),
  state: join(o.stateDir, 'kafka.json'),
  log: join(o.stateDir, 'kafka.log'),
});

export const bootstrap = (o: Pick<KafkaOptions, 'port'>): string => `${HOST}:${o.port}`;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------
// Resolving Kafka from Maven Central

const pom = (o: KafkaOptions): string => `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by scripts/kafka.ts: the runtime class path of a Kafka ${o.version} broker. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.gotuto</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${o.version}</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>${LOG4J_VERSION}</version></dependency>
      <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>${LOG4J_VERSION}</version></dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${o.version}</version></dependency>
    <!-- Kafka's POMs bring slf4j-api 1.7 and log4j2 but no binding between them (the release archive has one). -->
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J_VERSION}</version><scope>runtime</scope></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEPENDENCY_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
`;

/** Resolves Kafka into .cache/kafka/<version>/lib once; later calls find the folder and return. */
export const ensureLib = (o: KafkaOptions): { downloaded: boolean; ms: number } => {
  const p = paths(o);
  const started = Date.now();
  if (existsSync(join(p.lib, `kafka_2.13-${o.version}.jar`))) return { downloaded: false, ms: 0 };
  const mvn = spawnSync('mvn', ['--version'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) throw new Error('mvn (Maven 3.6.3+) is needed to resolve Kafka from Maven Central; it is not on the PATH');
  mkdirSync(p.versionDir, { recursive: true });
  writeFileSync(join(p.versionDir, 'pom.xml'), pom(o));
  const partial = `${p.lib}.partial`;
  rmSync(partial, { recursive: true, force: true });
  console.log(`kafka: resolving org.apache.kafka:kafka_2.13:${o.version} and its runtime dependencies with mvn…`);
  // Output kept for a failure only: Maven 3.8 prints colour resets even in quiet batch mode.
  const result = spawnSync('mvn', ['-B', '-q', '-ntp', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${partial}`], {
    cwd: p.versionDir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error || result.status !== 0) {
    // eslint-disable-next-line no-control-regex
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.replace(/\x1b\[[0-9;]*m/g, '').trim();
    throw new Error(`mvn could not resolve Kafka ${o.version} (exit ${String(result.status ?? result.error?.message)}) in ${p.versionDir}:\n${output}`);
  }
  if (!existsSync(join(partial, `kafka_2.13-${o.version}.jar`))) throw new Error(`mvn ran, but ${partial} has no kafka_2.13-${o.version}.jar`);
  rmSync(p.lib, { recursive: true, force: true });
  renameSync(partial, p.lib);
  const ms = Date.now() - started;
  console.log(`kafka: ${readdirSync(p.lib).length} jars in ${p.lib} (${seconds(ms)})`);
  return { downloaded: true, ms };
};

// ---------------------------------------------------------------------------------------------
// Configuration, format

const serverProperties = (o: KafkaOptions): string => {
  const p = paths(o);
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    // A static quorum of one voter: the voter's address comes from this file at every start, so
    // the data survives a change of KAFKA_PORT (a dynamic quorum, `format --standalone`, would
    // keep the controller's first address in the metadata log).
    'controller.quorum.voters': `1@${HOST}:${o.controllerPort}`,
    listeners: `PLAINTEXT://${HOST}:${o.port},CONTROLLER://${HOST}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${o.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': p.data,
    'num.partitions': 3,
    'auto.create.topics.enable': true,
    'offsets.topic.replication.factor': 1,
    // One partition each for the internal topics instead of 50: they are created (and their
    // coordinators loaded) on the first consumer group and the first idempotent producer.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // The cleaner of compacted topics (__consumer_offsets) takes 128 MiB of heap by default.
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
  };
  return `# Generated by scripts/kafka.ts at every start: edits are lost.\n${Object.entries(settings)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')}\n`;
};

const log4jProperties = (level: string): string => `# Generated by scripts/kafka.ts.
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${level}
rootLogger.appenderRef.out.ref = out
logger.request.name = kafka.request.logger
logger.request.level = warn
`;

const writeConfig = (o: KafkaOptions): void => {
  const p = paths(o);
  mkdirSync(p.configDir, { recursive: true });
  writeFileSync(p.serverProperties, serverProperties(o));
  writeFileSync(p.log4j, log4jProperties('info'));
  writeFileSync(p.toolLog4j, log4jProperties('warn'));
};

/** A Kafka cluster id: a random UUID in URL-safe base64, not starting with '-'. */
const clusterId = (): string => {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
};

interface FormatRecord {
  version: string;
  clusterId: string;
  formattedAt: string;
}

/** Formats the data folder when it is not, or was by another Kafka version (data is then lost). */
const ensureFormatted = (o: KafkaOptions): { formatted: boolean; ms: number } => {
  const p = paths(o);
  const started = Date.now();
  let previous: FormatRecord | undefined;
  try {
    previous = JSON.parse(readFileSync(p.formatted, 'utf8')) as FormatRecord;
  } catch {
    previous = undefined;
  }
  if (previous?.version === o.version && existsSync(join(p.data, 'meta.properties'))) return { formatted: false, ms: 0 };
  if (previous) console.log(`kafka: ${p.data} was formatted by Kafka ${previous.version}: formatting it anew for ${o.version} (its topics are dropped)`);
  rmSync(p.data, { recursive: true, force: true });
  mkdirSync(p.data, { recursive: true });
  const id = clusterId();
  const result = spawnSync(
    o.java,
    [
      ...o.jvmOpts,
      `-Dlog4j2.configurationFile=${p.toolLog4j}`,
      '-cp',
      join(p.lib, '*'),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      id,
      '-c',
      p.serverProperties,
    ],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) {
    throw new Error(`kafka-storage format failed (exit ${String(result.status ?? result.error?.message)}):\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
  const record: FormatRecord = { version: o.version, clusterId: id, formattedAt: new Date().toISOString() };
  writeFileSync(p.formatted, `${JSON.stringify(record, null, 2)}\n`);
  const ms = Date.now() - started;
  console.log(`kafka: formatted ${p.data} (cluster ${id}, ${seconds(ms)})`);
  return { formatted: true, ms };
};

// ---------------------------------------------------------------------------------------------
// The process

interface RunState {
  pid: number;
  version: string;
  port: number;
  controllerPort: number;
  startedAt: string;
}

const readState = (o: KafkaOptions): RunState | undefined => {
  try {
    return JSON.parse(readFileSync(paths(o).state, 'utf8')) as RunState;
  } catch {
    return undefined;
  }
};

/** Whether `pid` is alive and is the broker this script started (not a recycled pid). */
const isOurs = (o: KafkaOptions, pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false; // ESRCH: gone; EPERM: another user's process, so not ours either
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline')) return true; // no procfs: trust the pid
  try {
    const args = readFileSync(cmdline, 'utf8').split('\0');
    return args.includes('kafka.Kafka') && args.includes(paths(o).serverProperties);
  } catch {
    return false;
  }
};

/** The broker this script started, when it is still running. */
export const running = (o: KafkaOptions): RunState | undefined => {
  const state = readState(o);
  return state && isOurs(o, state.pid) ? state : undefined;
};

/** Whether a Kafka broker answers a metadata request at 127.0.0.1:<port>. */
export const answers = async (port: number, timeoutMs = 3000): Promise<boolean> => {
  const kafka = new Kafka({
    clientId: 'gotuto-kafka-script',
    brokers: [bootstrap({ port })],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tail = (file: string, lines = 30): string => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Waits until the broker answers; fails early when the process dies. */
const waitUntilAnswering = async (o: KafkaOptions, pid: number): Promise<void> => {
  const deadline = Date.now() + o.startTimeoutMs;
  while (Date.now() < deadline) {
    if (!isOurs(o, pid)) {
      throw new Error(`Kafka exited during start-up; the end of ${paths(o).log}:\n${tail(paths(o).log)}`);
    }
    if (await answers(o.port, 2000)) return;
    await sleep(300);
  }
  throw new Error(
    `Kafka (pid ${pid}) did not answer at ${bootstrap(o)} within ${seconds(o.startTimeoutMs)}; the end of ${paths(o).log}:\n${tail(paths(o).log)}`,
  );
};

const javaMajor = (java: string): number => {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new Error(`Java 17+ is needed to run Kafka; '${java}' could not be run`);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = Number(match?.[1] ?? 0);
  return major === 1 ? Number(match?.[2] ?? 0) : major;
};

export interface StartResult {
  alreadyRunning: boolean;
  pid: number;
  brokers: string;
  timings: { resolveMs: number; formatMs: number; bootMs: number; totalMs: number };
}

export const start = async (o: KafkaOptions): Promise<StartResult> => {
  const started = Date.now();
  const p = paths(o);
  const current = running(o);
  if (current) {
    if (current.port !== o.port) {
      throw new Error(`a Kafka started by this script already runs at ${bootstrap(current)} (pid ${current.pid}): stop it first, or unset KAFKA_PORT`);
    }
    await waitUntilAnswering(o, current.pid);
    return { alreadyRunning: true, pid: current.pid, brokers: bootstrap(o), timings: { resolveMs: 0, formatMs: 0, bootMs: 0, totalMs: Date.now() - started } };
  }
  if (await answers(o.port, 1500)) {
    throw new Error(`something else already answers as Kafka at ${bootstrap(o)} (not started by this script): stop it or set KAFKA_PORT`);
  }
  const major = javaMajor(o.java);
  if (major < 17) throw new Error(`Kafka ${o.version} needs Java 17 or newer; '${o.java}' is Java ${major}`);

  const resolved = ensureLib(o);
  writeConfig(o);
  const format = ensureFormatted(o);

  if (existsSync(p.log)) renameSync(p.log, `${p.log}.1`);
  const out = openSync(p.log, 'a');
  const bootStarted = Date.now();
  const child = spawn(
    o.java,
    [
      ...o.heapOpts,
      ...o.jvmOpts,
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${p.log4j}`,
      `-Dkafka.logs.dir=${o.stateDir}`,
      '-cp',
      join(p.lib, '*'),
      'kafka.Kafka',
      p.serverProperties,
    ],
    // Detached, in its own session, with no pipe to this process: it outlives `npm run` and a
    // caller reading our output through $(…) is not held open by it.
    { detached: true, stdio: ['ignore', out, out], cwd: o.stateDir },
  );
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${o.java}`);
  child.unref();
  const state: RunState = { pid, version: o.version, port: o.port, controllerPort: o.controllerPort, startedAt: new Date().toISOString() };
  writeFileSync(p.state, `${JSON.stringify(state, null, 2)}\n`);
  console.log(`kafka: started Kafka ${o.version} (pid ${pid}), log in ${p.log}; waiting for ${bootstrap(o)}…`);
  try {
    await waitUntilAnswering(o, pid);
  } catch (error) {
    await stop(o).catch(() => undefined);
    throw error;
  }
  const now = Date.now();
  return {
    alreadyRunning: false,
    pid,
    brokers: bootstrap(o),
    timings: { resolveMs: resolved.ms, formatMs: format.ms, bootMs: now - bootStarted, totalMs: now - started },
  };
};

/** Stops the broker this script started, whatever its port. */
export const stop = async (o: KafkaOptions): Promise<{ wasRunning: boolean; killed: boolean; ms: number; brokers?: string; pid?: number }> => {
  const started = Date.now();
  const p = paths(o);
  const current = running(o);
  if (!current) {
    rmSync(p.state, { force: true });
    return { wasRunning: false, killed: false, ms: 0 };
  }
  const gone = async (until: number): Promise<boolean> => {
    while (Date.now() < until) {
      if (!isOurs(o, current.pid)) return true;
      await sleep(200);
    }
    return !isOurs(o, current.pid);
  };
  try {
    process.kill(current.pid, 'SIGTERM');
  } catch {
    // gone in the meantime
  }
  let killed = false;
  if (!(await gone(Date.now() + o.stopTimeoutMs))) {
    console.log(`kafka: pid ${current.pid} still running ${seconds(o.stopTimeoutMs)} after SIGTERM: SIGKILL`);
    try {
      process.kill(current.pid, 'SIGKILL');
    } catch {
      // gone in the meantime
    }
    killed = true;
    if (!(await gone(Date.now() + 10_000))) throw new Error(`pid ${current.pid} survived SIGKILL`);
  }
  rmSync(p.state, { force: true });
  return { wasRunning: true, killed, ms: Date.now() - started, brokers: bootstrap(current), pid: current.pid };
};

export interface Status {
  running: boolean;
  /** Answers a metadata request (a process of ours may be running and still starting). */
  answering: boolean;
  /** Started by this script (pid known), or only answering at the address. */
  ours: boolean;
  pid?: number;
  version?: string;
  brokers: string;
}

export const status = async (o: KafkaOptions): Promise<Status> => {
  const current = running(o);
  const answering = await answers(o.port, 2000);
  if (current && current.port === o.port) {
    return { running: true, answering, ours: true, pid: current.pid, version: current.version, brokers: bootstrap(o) };
  }
  return { running: answering, answering, ours: false, brokers: bootstrap(o) };
};

export const reset = async (o: KafkaOptions): Promise<void> => {
  await stop(o);
  rmSync(paths(o).data, { recursive: true, force: true });
};

// ---------------------------------------------------------------------------------------------
// Command line

const USAGE = 'usage: npm run kafka -- start|stop|status|reset';

const main = async (command: string | undefined): Promise<number> => {
  const o = optionsFromEnv();
  switch (command) {
    case 'start': {
      const result = await start(o);
      if (result.alreadyRunning) {
        console.log(`kafka: already running (pid ${result.pid}) at ${result.brokers}: nothing to do`);
      } else {
        const t = result.timings;
        console.log(
          `kafka: Kafka ${o.version} ready at ${result.brokers} in ${seconds(t.totalMs)}` +
            ` (resolve ${t.resolveMs ? seconds(t.resolveMs) : 'cached'}, format ${t.formatMs ? seconds(t.formatMs) : 'done before'}, boot ${seconds(t.bootMs)})`,
        );
      }
      console.log(`KAFKA_BROKERS=${result.brokers}`);
      return 0;
    }
    case 'stop': {
      const result = await stop(o);
      if (!result.wasRunning) console.log('kafka: not running: nothing to do');
      else console.log(`kafka: stopped Kafka at ${result.brokers} (pid ${result.pid})${result.killed ? ' with SIGKILL' : ''} in ${seconds(result.ms)}`);
      return 0;
    }
    case 'status': {
      const s = await status(o);
      if (!s.running) {
        const other = running(o);
        console.log(`kafka: stopped (bootstrap address ${s.brokers})${other ? `; the one started here runs at ${bootstrap(other)} (pid ${other.pid})` : ''}`);
        return 3;
      }
      if (!s.answering) {
        console.log(`kafka: running (pid ${s.pid}, Kafka ${s.version}) but not answering at ${s.brokers} yet: starting, or see ${paths(o).log}`);
        return 1;
      }
      console.log(s.ours ? `kafka: running (pid ${s.pid}, Kafka ${s.version}) at ${s.brokers}` : `kafka: running at ${s.brokers} (not started by this script)`);
      console.log(`KAFKA_BROKERS=${s.brokers}`);
      return 0;
    }
    case 'reset': {
      await reset(o);
      console.log(`kafka: stopped, data deleted (${paths(o).data})`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv[2]).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`kafka: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
