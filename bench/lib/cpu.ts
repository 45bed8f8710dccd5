import fs from 'node:fs';
import os from 'node:os';

export interface MachineCpuSample {
  total: number;
  idle: number;
  steal: number;
}

/** Machine-wide CPU counters (all cores, in jiffies) from /proc/stat. */
export function machineCpu(): MachineCpuSample {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal guest guest_nice (guest is included in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
}

/** Busy and stolen CPU between two samples, in % of one core (so up to cores × 100). */
export function machineCpuPct(
  a: MachineCpuSample,
  b: MachineCpuSample,
): { busyPct: number; stealPct: number } {
  const total = b.total - a.total;
  if (total <= 0) return { busyPct: 0, stealPct: 0 };
  const cores = os.cpus().length;
  const steal = b.steal - a.steal;
  const busy = total - (b.idle - a.idle) - steal;
  return { busyPct: (busy / total) * cores * 100, stealPct: (steal / total) * cores * 100 };
}
