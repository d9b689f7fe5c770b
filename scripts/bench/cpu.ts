// CPU time spent by each process of a benchmark run, read from /proc: what the sender, the broker,
// the subscriber, Kafka and PostgreSQL each cost per event, and so how many events/s the machine's
// cores allow at most. On a system without procfs the other processes count as zero.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User plus system CPU time of a process so far (ms), or undefined when it is gone. */
export const processCpuMs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
  } catch {
    return undefined;
  }
};

/** The pids whose command line passes `test`. */
export const pidsMatching = (test: (cmdline: string) => boolean): number[] => {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (test(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
};

/** Kafka brokers (the JVM running kafka.Kafka) and PostgreSQL servers with their backends. */
export const kafkaPids = () => pidsMatching((cmd) => /\bkafka\.Kafka\b/.test(cmd));
export const postgresPids = () => pidsMatching((cmd) => cmd.startsWith('postgres'));

/** Named groups of processes: a group's pids are looked up at the start and at the end. */
export type ProcessGroups = Record<string, () => number[]>;

/**
 * Starts measuring; `stop()` gives the CPU time (ms) of this process (`sender`) and of each group
 * since then. A process that started meanwhile counts whole; one that ended meanwhile is lost.
 */
export const cpuMeter = (groups: ProcessGroups) => {
  const read = () => new Map(Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((pid) => [pid, processCpuMs(pid) ?? 0]))]));
  const selfBefore = process.cpuUsage();
  const before = read();
  return {
    stop(): Record<string, number> {
      const self = process.cpuUsage(selfBefore);
      const out: Record<string, number> = { sender: (self.user + self.system) / 1000 };
      for (const [name, now] of read()) {
        let ms = 0;
        for (const [pid, cpu] of now) ms += cpu - (before.get(name)?.get(pid) ?? 0);
        out[name] = ms;
      }
      return out;
    },
  };
};
