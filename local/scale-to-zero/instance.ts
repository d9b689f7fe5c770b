// One function scaled to zero: its built bundle in a process of its own, started by the first
// request that needs it and stopped once it has had none for the idle time, as Knative scales a
// revision between zero and one. Requests that come while it starts (or while it stops) are held,
// as Knative's activator holds them, and sent on once it answers its readiness probe; a start that
// fails or takes too long answers them 503, which a broker retries and a user may retry.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Agent } from 'node:http';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { DomainError, Unavailable } from '../../functions/runtime/errors.js';
import type { HttpRequest, HttpResponse } from '../../functions/runtime/http.js';
import type { Logger } from '../../functions/runtime/log.js';
import { forward, keepAliveAgent, NoAnswer } from './forward.js';

export interface InstanceOptions {
  name: string;
  /** The bundle the process runs (dist/functions/<name>.js). */
  bundle: string;
  /** Time without a request after which the process is stopped. */
  idleMs: number;
  /** Longest a start may take, spawn to readiness; held requests wait at most this (and a stop's grace). */
  startTimeoutMs: number;
  /** The environment of the process: the platform's, and what a Knative Service would add. */
  env(port: number): NodeJS.ProcessEnv;
  log: Logger;
}

/** One start of the process: when (epoch ms), how long to its first ready answer, and whether it came. */
export interface StartRecord {
  at: number;
  ms: number;
  ok: boolean;
  pid: number;
}

export interface InstanceView {
  name: string;
  state: 'stopped' | 'starting' | 'running' | 'stopping';
  pid?: number;
  inFlight: number;
  /** The latest starts, oldest first. */
  starts: StartRecord[];
}

export interface Instance {
  invoke(req: HttpRequest): Promise<HttpResponse>;
  view(): InstanceView;
  /** Stops the process if it runs and refuses requests from now on. */
  close(): Promise<void>;
}

interface Process {
  child: ChildProcess;
  port: number;
  agent: Agent;
  exited: Promise<void>;
}

/** SIGTERM, then SIGKILL after this long: the function's own grace (functions/runtime/serve.ts) is 10 s. */
const STOP_GRACE_MS = 12_000;
const PROBE_INTERVAL_MS = 5;
const KEPT_STARTS = 200;

/**
 * Loaded before the bundle: when the platform goes away without stopping it (kill -9), the IPC
 * channel closes, and the function stops itself as on SIGTERM instead of running on, orphaned.
 */
const STOP_WITH_THE_PLATFORM = `data:text/javascript,${encodeURIComponent("process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));")}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** The readiness probe: GET /healthz answers 200 (functions/runtime/serve.ts). */
const probe = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/healthz', agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });

export const createInstance = (o: InstanceOptions): Instance => {
  let current: Process | undefined;
  let starting: Promise<Process> | undefined;
  let stopping: Promise<void> | undefined;
  let closed = false;
  let inFlight = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  const starts: StartRecord[] = [];

  const record = (entry: StartRecord) => {
    starts.push(entry);
    if (starts.length > KEPT_STARTS) starts.shift();
  };

  /** Spawns the process and waits for its readiness; kills it and throws when it is not ready in time. */
  const start = async (): Promise<Process> => {
    const port = await freePort();
    const began = performance.now();
    const at = Date.now();
    const child = spawn(process.execPath, ['--import', STOP_WITH_THE_PLATFORM, o.bundle], { env: o.env(port), stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let tail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-2_000);
    });
    let gone: string | undefined;
    let clean = false;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        gone = `exited (${code ?? signal})`;
        clean = code === 0;
        resolve();
      });
      child.once('error', (error) => {
        gone = `could not be spawned: ${error.message}`;
        resolve();
      });
    });
    const process_: Process = { child, port, agent: keepAliveAgent(), exited };
    const fail = async (why: string) => {
      child.kill('SIGKILL');
      await exited;
      record({ at, ms: performance.now() - began, ok: false, pid: child.pid ?? -1 });
      o.log.warn('function did not start', { function: o.name, error: why, output: tail.trim().slice(-500) || undefined });
      throw new Unavailable(`${o.name} did not start: ${why}`, 1);
    };
    const deadline = began + o.startTimeoutMs;
    while (!(await probe(port))) {
      if (gone) return fail(gone);
      if (performance.now() > deadline) return fail(`not ready within ${o.startTimeoutMs} ms`);
      await sleep(PROBE_INTERVAL_MS);
    }
    const ms = performance.now() - began;
    record({ at, ms, ok: true, pid: child.pid ?? -1 });
    o.log.info('function started', { function: o.name, pid: child.pid, port, ms: Math.round(ms) });
    void exited.then(() => {
      // Gone without being asked: the next request starts it again. A clean exit is a signal that
      // reached it first (Ctrl-C goes to the terminal's whole process group); anything else is a crash.
      if (current !== process_) return;
      current = undefined;
      process_.agent.destroy();
      if (clean) o.log.info('function exited', { function: o.name, pid: child.pid });
      else o.log.warn('function exited', { function: o.name, pid: child.pid, status: gone, output: tail.trim().slice(-500) || undefined });
    });
    return process_;
  };

  /** The running process: the one there is, or one started now (one start for every request waiting). */
  const ensure = async (): Promise<Process> => {
    while (stopping) await stopping;
    if (closed) throw new Unavailable(`${o.name} is stopping with the platform`, 1);
    if (current && current.child.exitCode === null && current.child.signalCode === null) return current;
    // Gone before its exit was seen (it died as it became ready): started anew.
    current = undefined;
    starting ??= start()
      .then((started) => (current = started))
      .finally(() => (starting = undefined));
    return starting;
  };

  const stopProcess = (reason: string): Promise<void> => {
    const stopped = current;
    if (!stopped) return stopping ?? Promise.resolve();
    current = undefined;
    stopping = (async () => {
      stopped.child.kill('SIGTERM');
      const killer = setTimeout(() => stopped.child.kill('SIGKILL'), STOP_GRACE_MS);
      await stopped.exited;
      clearTimeout(killer);
      stopped.agent.destroy();
      o.log.info('function stopped', { function: o.name, pid: stopped.child.pid, reason });
    })().finally(() => (stopping = undefined));
    return stopping;
  };

  const armIdle = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (inFlight === 0) void stopProcess(`idle for ${o.idleMs} ms`);
    }, o.idleMs);
    idleTimer.unref();
  };

  const invoke = async (req: HttpRequest): Promise<HttpResponse> => {
    inFlight += 1;
    clearTimeout(idleTimer);
    try {
      const running = await ensure();
      return await forward(running.port, running.agent, req);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      // No answer (the process died under the request): the caller may try again, as after a 503 of Knative.
      throw new Unavailable(`${o.name} gave no answer: ${error instanceof NoAnswer ? error.message : String(error)}`, 1);
    } finally {
      inFlight -= 1;
      if (inFlight === 0 && !closed) armIdle();
    }
  };

  return {
    invoke,
    view: () => ({
      name: o.name,
      state: stopping ? 'stopping' : starting ? 'starting' : current ? 'running' : 'stopped',
      pid: current?.child.pid,
      inFlight,
      starts: [...starts],
    }),
    close: async () => {
      closed = true;
      clearTimeout(idleTimer);
      await starting?.catch(() => undefined);
      await stopProcess('the platform stops');
    },
  };
};
