/**
 * Child processes of the benchmark: started pinned to a core when the machine allows it, their output kept in
 * log files, every one of them stopped at the end (also on error and Ctrl-C). And what /proc says about them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Pinning {
  /** True when children and the orchestrator are pinned (taskset present, at least two cores allowed). */
  readonly pinned: boolean;
  /** Why not, when not. */
  readonly reason: string;
}

let pinning: Pinning | null = null;

/** Decides once whether to pin: taskset must exist and cores 0 and 1 must both be allowed. */
export function decidePinning(disabled: boolean): Pinning {
  if (pinning) return pinning;
  if (disabled) return (pinning = { pinned: false, reason: 'pinning turned off by --no-pin' });
  if (process.platform !== 'linux') return (pinning = { pinned: false, reason: `not Linux (${process.platform})` });
  const probe = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return (pinning = { pinned: false, reason: 'taskset is not installed' });
  const allowed = allowedCpus();
  if (availableParallelism() < 2 || !allowed.has(0) || !allowed.has(1)) {
    return (pinning = { pinned: false, reason: `fewer than two cores available (allowed: ${[...allowed].join(',') || 'unknown'})` });
  }
  return (pinning = { pinned: true, reason: '' });
}

function allowedCpus(): Set<number> {
  const out = new Set<number>();
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('Cpus_allowed_list:'));
    for (const part of (line?.split(':')[1] ?? '').trim().split(',')) {
      const [a, b] = part.split('-').map(Number);
      if (a === undefined || Number.isNaN(a)) continue;
      for (let c = a; c <= (b ?? a); c++) out.add(c);
    }
  } catch {
    // not Linux: nothing allowed as far as we know
  }
  return out;
}

/** Pins every thread of this process to `cpu` (taskset -acp). Returns false when it did not. */
export function pinSelf(cpu: number): boolean {
  if (!pinning?.pinned) return false;
  const r = spawnSync('taskset', ['-acp', String(cpu), String(process.pid)], { encoding: 'utf8' });
  return r.status === 0;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** The last lines the process wrote on stderr and stdout, for error messages. */
  tail(): string;
  /** Calls `fn` with every later stdout line; returns the unsubscribe function. */
  onStdout(fn: (line: string) => void): () => void;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  readonly logFile: string;
}

const children = new Set<Child>();
let logDir = '';

export function setLogDir(dir: string): void {
  logDir = dir;
}

export interface SpawnOptions {
  /** Core to pin to (taskset -c); null or no pinning: unpinned. */
  readonly cpu: number | null;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly onStdoutLine?: (line: string) => void;
  readonly onStderrLine?: (line: string) => void;
}

/** Environment variables tributary reads for its configuration: never passed to a child, so only its file counts. */
const CONFIG_ENV = /^(KAFKA_|SCHEMA_REGISTRY_|BRAZE_|MOVABLE_INK_|QUIKLY_|TRIBUTARY_)/;

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!CONFIG_ENV.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export function spawnChild(name: string, command: string, args: readonly string[], options: SpawnOptions): Child {
  const pin = options.cpu !== null && pinning?.pinned === true;
  const [cmd, argv] = pin ? ['taskset', ['-c', String(options.cpu), command, ...args]] : [command, [...args]];
  // Its own process group, so stopping it also stops whatever it started (a wrapper script's children).
  const proc = spawn(cmd, argv, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const file = join(logDir, `${name}.log`);
  const log: WriteStream | null = logDir ? createWriteStream(file) : null;
  const lines: string[] = [];
  const keep = (prefix: string, line: string) => {
    lines.push(`${prefix}${line}`);
    if (lines.length > 40) lines.shift();
    log?.write(`${prefix}${line}\n`);
  };
  const listeners = new Set<(line: string) => void>();
  if (options.onStdoutLine) listeners.add(options.onStdoutLine);
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    keep('', l);
    for (const fn of [...listeners]) fn(l);
  });
  createInterface({ input: proc.stderr! }).on('line', (l) => {
    keep('! ', l);
    options.onStderrLine?.(l);
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal ?? 'unknown');
      setTimeout(() => log?.end(), 50);
    });
  });
  const child: Child = {
    name,
    pid: proc.pid,
    process: proc,
    exited,
    logFile: file,
    tail: () => lines.join('\n'),
    onStdout: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    stop: async (graceMs = 5000) => {
      if (proc.exitCode === null && proc.signalCode === null) {
        signalGroup(proc.pid!, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(proc.pid!, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Anything of its group still there (its own children) goes too.
      signalGroup(proc.pid!, 'SIGKILL');
    },
  };
  children.add(child);
  return child;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Resolves with the first stdout line for which `parse` returns a value; rejects on exit or timeout. */
export function firstLine<T>(child: Child, parse: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${child.name}: no ready line within ${timeoutMs} ms\n${child.tail()}`)), timeoutMs);
    const onExit = (code: number | string) => done(new Error(`${child.name} exited (${code}) before it was ready\n${child.tail()}`));
    void child.exited.then(onExit);
    const off = child.onStdout((line) => {
      const value = parse(line);
      if (value !== undefined) done(null, value);
    });
    let settled = false;
    function done(err: Error | null, value?: T) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      off();
      if (err) reject(err);
      else resolve(value as T);
    }
  });
}

/** Stops every child still running, in parallel; each gets `graceMs` before SIGKILL. */
export async function stopAllChildren(graceMs = 3000): Promise<void> {
  await Promise.allSettled([...children].map((c) => c.stop(graceMs)));
}

/** Last resort at exit: SIGKILL whatever is left (synchronous, for process.on('exit')). */
export function killAllChildrenNow(): void {
  for (const c of children) signalGroup(c.pid, 'SIGKILL');
}

// ---------------------------------------------------------------------------------------------
// /proc

let ticksPerSecond = 0;
function clockTicks(): number {
  if (ticksPerSecond === 0) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    ticksPerSecond = Number(r.stdout?.trim()) || 100;
  }
  return ticksPerSecond;
}

interface Stat {
  readonly ppid: number;
  /** utime + stime, seconds. */
  readonly cpuS: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: fields after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { ppid: Number(rest[1]), cpuS: (Number(rest[11]) + Number(rest[12])) / clockTicks() };
  } catch {
    return null;
  }
}

/** utime+stime of the process, in seconds (null once it is gone). */
export function cpuSeconds(pid: number): number | null {
  return readStat(pid)?.cpuS ?? null;
}

/** Descendants of `pid` (children, grandchildren, …), found by scanning /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    const st = readStat(Number(e));
    if (!st) continue;
    const list = parents.get(st.ppid) ?? [];
    list.push(Number(e));
    parents.set(st.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of parents.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

export interface MemStatus {
  /** VmRSS, bytes. */
  readonly rss: number;
  /** VmHWM (peak RSS), bytes. */
  readonly hwm: number;
}

export function memStatus(pid: number): MemStatus | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(/\s(\d+)\s*kB/.exec(text.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS:'), hwm: kb('VmHWM:') };
  } catch {
    return null;
  }
}

/** CPU and memory of a process, or of it and its descendants (a wrapper script, a peer that forks). */
export class ProcessProbe {
  private members: number[];
  private lastScan = 0;

  constructor(readonly pid: number, private readonly tree: boolean) {
    this.members = [pid];
  }

  private refresh(): void {
    if (!this.tree || Date.now() - this.lastScan < 2000) return;
    this.lastScan = Date.now();
    this.members = [this.pid, ...descendants(this.pid)];
  }

  cpuS(): number | null {
    this.refresh();
    let sum = 0;
    let any = false;
    for (const p of this.members) {
      const s = cpuSeconds(p);
      if (s !== null) {
        sum += s;
        any = true;
      }
    }
    return any ? sum : null;
  }

  mem(): MemStatus | null {
    this.refresh();
    let rss = 0;
    let hwm = 0;
    let any = false;
    for (const p of this.members) {
      const m = memStatus(p);
      if (m) {
        rss += m.rss;
        hwm += m.hwm;
        any = true;
      }
    }
    return any ? { rss, hwm } : null;
  }
}
