/**
 * CPU time and memory of processes, read from /proc (Linux): utime + stime (+ the reaped children's cutime + cstime)
 * in clock ticks, and VmRSS from /proc/<pid>/status. A sampler keeps the peak RSS of a process tree (the worker and
 * anything it spawned) while a scenario runs; VmHWM would be the process's lifetime peak, useless once a worker has
 * run more than one world.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux ABI we run on (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by the process itself and its waited-for children. */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  if (!f) return NaN;
  // Fields after "(comm)": state=0 ppid=1 … utime=11 stime=12 cutime=13 cstime=14.
  const ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The pid and every live descendant of it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (!f) continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export const treeCpuSeconds = (root: number): number => processTree(root).reduce((s, p) => s + (cpuSeconds(p) || 0), 0);
export const treeRssBytes = (root: number): number => processTree(root).reduce((s, p) => s + (rssBytes(p) || 0), 0);

/** Samples the RSS of a process tree every `everyMs` until stopped; reports the peak. */
export function rssSampler(root: number, everyMs = 100): { stop(): number; peak(): number } {
  let peak = treeRssBytes(root) || 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssBytes(root) || 0);
  }, everyMs);
  return {
    peak: () => peak,
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, treeRssBytes(root) || 0);
      return peak;
    },
  };
}

export const MiB = 1024 * 1024;
