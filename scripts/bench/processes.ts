// Child processes for the build test and the benchmarks: free ports, servers started and
// always stopped, HTTP polling bounded in time. A child may be the leader of its own process group
// (`group`: `npm start` runs npm, sh, tsx and node), then every signal goes to the whole group; and
// it may have an IPC channel (`ipc`) for the benchmarks' children that report what they measured.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Sends a signal to the process, or to its whole group when started with `group`. */
  signal(signal: NodeJS.Signals): void;
  /** The last lines the process wrote (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<number | string | null>;
}

const live = new Set<Child>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const temporary = new Set<string>();

/** Kills every child still running (SIGKILL) and removes the temporary directories: the safety net on exit. */
export const killAll = (): void => {
  for (const child of live) child.signal('SIGKILL');
  live.clear();
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  temporary.clear();
};

let hooked = false;
const hookExit = () => {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
};

/** A new directory under the system's temporary one, removed by `remove()` or, at the latest, on exit. */
export const temporaryDir = (prefix: string): { path: string; remove(): void } => {
  hookExit();
  const path = mkdtempSync(join(tmpdir(), prefix));
  temporary.add(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      temporary.delete(path);
    },
  };
};

/** For a command-line program: Ctrl-C or SIGTERM also kill the children, then exit. */
export const killChildrenOnSignals = (): void => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
};

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where the output goes: a file (cheap for a busy server), or kept in memory (default). */
  logFile?: string;
  /** Its own process group: signals (stop, the safety net) go to every process of the group. */
  group?: boolean;
  /** An IPC channel (`child.proc.send`, `child.proc.on('message')`). */
  ipc?: boolean;
}

const groupAlive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts a process that is killed when this one exits, whatever happens. */
export const startProcess = (command: string, args: string[], options: StartOptions = {}): Child => {
  hookExit();
  let tail = '';
  let fd: number | undefined;
  if (options.logFile) fd = openSync(options.logFile, 'w');
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.ipc ? ['ignore', fd ?? 'pipe', fd ?? 'pipe', 'ipc'] : ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
    detached: options.group === true,
  });
  if (fd !== undefined) closeSync(fd);
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8_000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | string | null>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal));
    proc.once('error', (error) => {
      keep(Buffer.from(String(error)));
      resolve(null);
    });
  });
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (options.group && proc.pid) process.kill(-proc.pid, sig);
      else proc.kill(sig);
    } catch {
      // already gone
    }
  };
  const running = () => (options.group && proc.pid ? groupAlive(proc.pid) : proc.exitCode === null && proc.signalCode === null);
  const child: Child = {
    proc,
    pid: proc.pid ?? -1,
    signal,
    output: () => {
      if (!options.logFile) return tail;
      try {
        return readFileSync(options.logFile, 'utf8').slice(-8_000);
      } catch {
        return '';
      }
    },
    exited,
    stop: async (graceMs = 3_000) => {
      if (running()) {
        signal('SIGTERM');
        const timer = setTimeout(() => signal('SIGKILL'), graceMs);
        await exited;
        // The leader of a group may exit before the rest of it (npm before node): wait for all.
        const deadline = performance.now() + graceMs + 2_000;
        while (options.group && proc.pid && groupAlive(proc.pid) && performance.now() < deadline) await sleep(20);
        if (options.group && proc.pid && groupAlive(proc.pid)) signal('SIGKILL');
        clearTimeout(timer);
      }
      live.delete(child);
      return exited;
    },
  };
  // A group stays in the safety net until stop() saw all of it gone.
  if (!options.group) void exited.then(() => live.delete(child));
  live.add(child);
  return child;
};

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/** One HTTP request on a new connection to 127.0.0.1:port. */
export const request = (port: number, options: RequestOptions = {}): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const body = options.body;
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        agent: false,
        headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...options.headers },
        timeout: options.timeoutMs ?? 5_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from port ${port} within ${options.timeoutMs ?? 5_000} ms`)));
    req.on('error', reject);
    req.end(body);
  });

/**
 * Polls until the server answers any HTTP status; returns that answer. Fails when the process
 * exits first or when `deadlineMs` passes.
 */
export const waitForHttp = async (port: number, child: Child, options: RequestOptions & { deadlineMs?: number; intervalMs?: number } = {}): Promise<Answer> => {
  const deadline = performance.now() + (options.deadlineMs ?? 15_000);
  let gone = false;
  void child.exited.then(() => {
    gone = true;
  });
  for (;;) {
    if (gone) throw new Error(`process ${child.pid} exited (${String(await child.exited)}) before answering HTTP:\n${child.output()}`);
    try {
      return await request(port, { ...options, timeoutMs: Math.max(100, Math.min(options.timeoutMs ?? 2_000, deadline - performance.now())) });
    } catch {
      if (performance.now() > deadline) {
        throw new Error(`process ${child.pid} did not answer HTTP on port ${port} within ${options.deadlineMs ?? 15_000} ms:\n${child.output()}`);
      }
      await sleep(options.intervalMs ?? 5);
    }
  }
};

/** Resident memory of a process in KiB (Linux), from /proc/<pid>/status. */
export const rssKiB = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]);
};

/**
 * For a benchmark's child that runs a platform: stops it on SIGTERM, SIGINT or the parent going
 * away (nobody will read the figures), once, then `cleanup`, then exits; a stop that takes longer
 * than `deadlineMs` exits with 1.
 */
export const stopWhenAsked = (stop: () => Promise<void>, deadlineMs: number, cleanup: () => void = () => {}): void => {
  let stopping = false;
  const stopOnce = async () => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), deadlineMs);
    try {
      await stop();
    } finally {
      clearTimeout(timer);
      cleanup();
      process.exit(0);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stopOnce());
  process.on('disconnect', () => void stopOnce());
};
