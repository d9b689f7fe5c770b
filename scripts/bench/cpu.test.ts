// The CPU accounting of the benchmarks, read from /proc: a busy child process shows the time it spent.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuMeter, pidsMatching, processCpuMs } from './cpu.js';

describe.skipIf(!existsSync('/proc/self/stat'))('CPU time per process (procfs)', () => {
  it('counts the CPU a busy process spends, finds it by its command line, and nothing for a gone one', async () => {
    const marker = `cpu-test-${process.pid}`;
    const child = spawn(process.execPath, ['-e', `const end = Date.now() + 400; while (Date.now() < end); setTimeout(() => {}, 5000); // ${marker}`]);
    try {
      const pid = child.pid as number;
      await new Promise((r) => setTimeout(r, 50));
      expect(pidsMatching((cmd) => cmd.includes(marker))).toEqual([pid]);
      const meter = cpuMeter({ busy: () => [pid] });
      await new Promise((r) => setTimeout(r, 600));
      const spent = meter.stop();
      // Most of the 400 ms busy loop falls inside the window; the sender (this process) was idle.
      expect(spent.busy).toBeGreaterThan(150);
      expect(spent.busy).toBeLessThan(1000);
      expect(spent.sender).toBeLessThan(spent.busy as number);
      expect(processCpuMs(pid)).toBeGreaterThanOrEqual(spent.busy as number);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(processCpuMs(child.pid as number)).toBeUndefined();
  });
});
