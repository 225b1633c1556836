/**
 * What the Braze sandbox costs under the benchmark's load: the sandbox runs alone in a child process pinned to one
 * core (`taskset -c 1`), this process (pinned to core 0 when run from the command line) drives it open-loop at a
 * fixed rate of 75-object POST /users/track requests (by default every object a new user setting one boolean
 * `AIQ_<n>_<m>` attribute), and the child's utime+stime (from /proc/<pid>/stat) over the measured window is divided
 * by the answers received in that window (429s included).
 *
 *   npx tsx --conditions=tributary-source bench/sandbox-load.ts [--mode normal|lean|both] [--rate 1000]
 *     [--duration-s 10] [--latency-ms 0] [--limits default|unlimited] [--users N] [--events N]
 *     [--source ts|dist] [--cpu-prof DIR] [--node-args '--trace-gc ...'] [--sandbox-options JSON]
 *
 * Prints one JSON line per mode (SandboxCost). `--source dist` runs the child on the build (`npm run build` first).
 * `npm run bench` runs it too (`run`, both modes at 1,000 requests/s). Linux only (taskset, /proc). CPU figures
 * are noisy on a shared machine: compare runs made close together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { BrazeSandboxOptions, EventAgeHistogramView } from '@tributary/sandbox/braze';
import type { BenchResult } from './types.js';

export type SandboxMode = 'normal' | 'lean';

export interface SandboxCostOptions {
  readonly mode: SandboxMode;
  /** Requests per second to send; default 1000. */
  readonly rate?: number;
  /** Length of the measured window; default 10. */
  readonly durationS?: number;
  /** Unmeasured load before the window, so the child's JIT is warm; default 2. */
  readonly warmupS?: number;
  /** Objects per request (each its own external id); default 75. */
  readonly objectsPerRequest?: number;
  /** How many of them are events (`aiq_sync`, `time` = when sent) instead of attributes; default 0. */
  readonly eventsPerRequest?: number;
  /** Distinct external ids the requests cycle through; default Infinity: every object is a new user. */
  readonly users?: number;
  /** Fixed latency of the sandbox's answers; default 0. */
  readonly latencyMs?: number;
  /** Braze's published rate limits (default) or none. */
  readonly limits?: 'default' | 'unlimited';
  /** The core the sandbox child is pinned to; default 1. null: not pinned. */
  readonly sandboxCpu?: number | null;
  /** HTTP connections to the sandbox; default 256 (enough for 1000 req/s at 100 ms latency). */
  readonly connections?: number;
  /** Requests allowed in flight before sends are skipped (counted as `skipped`); default 1024. */
  readonly maxInFlight?: number;
  /** Write a `node --cpu-prof` profile of the child into this folder. */
  readonly cpuProfDir?: string;
  /**
   * 'ts' (default): the child runs packages/sandbox/src through tsx. 'dist': the child runs the build in
   * packages/sandbox/dist (`npm run build`), as `tributary sandbox` does; its profiles then carry real line numbers.
   */
  readonly source?: 'ts' | 'dist';
  /** More node flags for the child, e.g. ['--trace-gc']. */
  readonly nodeArgs?: readonly string[];
  /** More options for the sandbox (JSON-serialisable ones only: they cross a process boundary). */
  readonly sandboxOptions?: BrazeSandboxOptions;
}

export interface SandboxCost {
  readonly mode: SandboxMode;
  /** Answers received during the measured window. */
  readonly requests: number;
  /** The child's utime+stime over the window / requests. */
  readonly cpuMsPerRequest: number;
  /** The child's CPU time over the window / the window's wall time (1 = one whole core). */
  readonly coreShare: number;
  /** cpuMsPerRequest split into user and kernel time. */
  readonly userMsPerRequest: number;
  readonly systemMsPerRequest: number;
  /** requests / window seconds. */
  readonly achievedRate: number;
  readonly targetRate: number;
  /** Answers by status over the window ('error' for a transport failure). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Sends skipped because maxInFlight requests were outstanding (the sandbox fell behind). */
  readonly skipped: number;
  /** Client-side answer times over the window, ms. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** With eventsPerRequest: the sandbox's event ages (GET /_sandbox/counters), warm-up included. */
  readonly eventAgeMs?: EventAgeHistogramView;
}

const here = fileURLToPath(import.meta.url);
/** USER_HZ: 100 on every Linux the project runs on (`getconf CLK_TCK`). */
const MS_PER_TICK = 10;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** utime and stime of a process, in ms (Linux /proc/<pid>/stat fields 14 and 15, in clock ticks). */
export function processCpuMs(pid: number): { readonly userMs: number; readonly systemMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  return { userMs: Number(fields[11]) * MS_PER_TICK, systemMs: Number(fields[12]) * MS_PER_TICK };
}

/**
 * Request `request`'s body: `objects` objects for consecutive users (mod `users`): the first `events` are events
 * timed `nowIso`, the others attribute objects setting one ActionIQ-style audience membership
 * (`AIQ_<audience>_<split>`: a boolean).
 */
export function trackBody(request: number, objects: number, users: number, events = 0, nowIso = new Date().toISOString()): string {
  const attributes = [];
  const eventObjects = [];
  for (let i = 0; i < objects; i++) {
    const n = request * objects + i;
    const externalId = `user-${n < users ? n : n % users}`;
    if (i < events) eventObjects.push({ external_id: externalId, name: 'aiq_sync', time: nowIso });
    else attributes.push({ external_id: externalId, [`AIQ_${1000 + (n % 40)}_${request % 3}`]: (request + i) % 2 === 0 });
  }
  return JSON.stringify(eventObjects.length === 0 ? { attributes } : { attributes, events: eventObjects });
}

/**
 * The child: starts the sandbox with the options in its first argument, prints one JSON line, stops on SIGTERM
 * (returning normally, so --cpu-prof writes its profile). Plain JavaScript, so it runs the build without tsx.
 */
const CHILD = `
import { startBrazeSandbox } from '@tributary/sandbox/braze';
const sandbox = await startBrazeSandbox(JSON.parse(process.argv[1]));
process.stdout.write(JSON.stringify({ url: sandbox.url, apiKey: sandbox.apiKey }) + '\\n');
await new Promise((resolve) => process.once('SIGTERM', resolve));
await sandbox.close();
`;

interface Child {
  readonly process: ChildProcess;
  readonly url: string;
  readonly apiKey: string;
}

async function startChild(options: SandboxCostOptions): Promise<Child> {
  const serve: BrazeSandboxOptions = {
    ...options.sandboxOptions,
    seed: 1,
    latencyMs: options.latencyMs ?? 0,
    limits: options.limits ?? 'default',
    ...(options.mode === 'lean' ? { lean: true } : {}),
  };
  const node = [
    ...(options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`]),
    ...(options.nodeArgs ?? []),
    ...(options.source === 'dist' ? [] : ['--conditions=tributary-source', '--import', 'tsx']),
    '--input-type=module', '--eval', CHILD, JSON.stringify(serve),
  ];
  const cpu = options.sandboxCpu === undefined ? 1 : options.sandboxCpu;
  const [command, args] = cpu === null ? [process.execPath, node] : ['taskset', ['-c', String(cpu), process.execPath, ...node]];
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ url: string; apiKey: string }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sandbox child exited with code ${code} before it was ready`)));
    // Other lines (--trace-gc and the like) go to stderr.
    lines.on('line', (line) => {
      if (line.startsWith('{"url":')) resolve(JSON.parse(line) as { url: string; apiKey: string });
      else process.stderr.write(`${line}\n`);
    });
  });
  return { process: child, ...ready };
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGTERM');
  await exited;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/** Starts a sandbox child in `mode`, drives it, and reports its CPU per request over the measured window. */
export async function measureSandboxCost(options: SandboxCostOptions): Promise<SandboxCost> {
  const rate = options.rate ?? 1000;
  const durationMs = (options.durationS ?? 10) * 1000;
  const warmupMs = (options.warmupS ?? 2) * 1000;
  const objects = options.objectsPerRequest ?? 75;
  const events = options.eventsPerRequest ?? 0;
  const users = options.users ?? Number.POSITIVE_INFINITY;
  const maxInFlight = options.maxInFlight ?? 1024;
  const child = await startChild(options);
  const pool = new Pool(child.url, { connections: options.connections ?? 256, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { 'authorization': `Bearer ${child.apiKey}`, 'content-type': 'application/json' };
  try {
    const pid = child.process.pid!;
    let sent = 0;
    let inFlight = 0;
    let skipped = 0;
    let measuring = false;
    let measured = 0;
    const statuses: Record<string, number> = {};
    const latencies: number[] = [];
    const send = (n: number): void => {
      const begin = performance.now();
      inFlight += 1;
      pool.request({ method: 'POST', path: '/users/track', headers, body: trackBody(n, objects, users, events) })
        .then(async (res) => {
          await res.body.dump();
          return String(res.statusCode);
        }, () => 'error')
        .then((status) => {
          inFlight -= 1;
          if (!measuring) return;
          measured += 1;
          statuses[status] = (statuses[status] ?? 0) + 1;
          latencies.push(performance.now() - begin);
        });
    };

    const started = performance.now();
    let windowStart = { wallMs: 0, cpu: { userMs: 0, systemMs: 0 } };
    let windowEnd = windowStart;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const elapsed = performance.now() - started;
        if (!measuring && elapsed >= warmupMs && windowStart.wallMs === 0) {
          windowStart = { wallMs: performance.now(), cpu: processCpuMs(pid) };
          measuring = true;
        }
        if (elapsed >= warmupMs + durationMs) {
          windowEnd = { wallMs: performance.now(), cpu: processCpuMs(pid) };
          measuring = false;
          clearInterval(tick);
          resolve();
          return;
        }
        const due = Math.floor((elapsed * rate) / 1000);
        while (sent < due) {
          if (inFlight >= maxInFlight) {
            skipped += due - sent;
            sent = due;
            break;
          }
          send(sent);
          sent += 1;
        }
      }, 2);
    });
    const wallS = (windowEnd.wallMs - windowStart.wallMs) / 1000;
    const userMs = windowEnd.cpu.userMs - windowStart.cpu.userMs;
    const systemMs = windowEnd.cpu.systemMs - windowStart.cpu.systemMs;
    const cpuMs = userMs + systemMs;
    latencies.sort((a, b) => a - b);
    const eventAgeMs = events === 0 ? undefined
      : ((await (await fetch(`${child.url}/_sandbox/counters`)).json()) as { eventAgeMs: EventAgeHistogramView }).eventAgeMs;
    const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
    return {
      mode: options.mode,
      requests: measured,
      cpuMsPerRequest: round(cpuMs / Math.max(1, measured), 3),
      coreShare: round(cpuMs / 1000 / wallS, 3),
      userMsPerRequest: round(userMs / Math.max(1, measured), 3),
      systemMsPerRequest: round(systemMs / Math.max(1, measured), 3),
      achievedRate: round(measured / wallS, 1),
      targetRate: rate,
      statuses,
      skipped,
      latencyP50Ms: round(percentile(latencies, 0.5), 2),
      latencyP99Ms: round(percentile(latencies, 0.99), 2),
      ...(eventAgeMs === undefined ? {} : { eventAgeMs }),
    };
  } finally {
    await pool.close().catch(() => {});
    await stopChild(child);
  }
}

/** `npm run bench`: the sandbox's CPU per request in both modes at 1,000 requests/s of 75 new users. */
export async function run(): Promise<BenchResult[]> {
  if (process.platform !== 'linux' || !(await commandWorks('taskset', ['-c', '1', 'true']))) {
    process.stderr.write('bench: braze-sandbox-cost needs Linux with taskset and two cores; skipped\n');
    return [];
  }
  const rows: BenchResult[] = [];
  for (const mode of ['normal', 'lean'] as const) {
    const r = await measureSandboxCost({ mode });
    const scenario = `Braze sandbox alone, ${mode}`;
    const notes = `1 core (taskset), ${r.targetRate} req/s target of 75 new users each, ${r.requests} answers (${Object.entries(r.statuses).map(([k, v]) => `${v}× ${k}`).join(', ')})`;
    rows.push(
      { scenario, metric: 'CPU per /users/track request', value: r.cpuMsPerRequest, unit: 'ms', notes },
      { scenario, metric: 'share of its core', value: r.coreShare, unit: 'cores', notes: `achieved ${r.achievedRate} req/s` },
    );
  }
  return rows;
}

function commandWorks(command: string, args: readonly string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

async function main(args: string[]): Promise<void> {
  // The driver stays off the sandbox's core.
  if (process.env.SANDBOX_LOAD_PINNED === undefined) {
    const again = spawn('taskset', ['-c', '0', process.execPath, ...process.execArgv, here, ...args], {
      stdio: 'inherit', env: { ...process.env, SANDBOX_LOAD_PINNED: '1' },
    });
    const code = await new Promise<number>((resolve) => again.once('exit', (c) => resolve(c ?? 1)));
    process.exitCode = code;
    return;
  }
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      'mode': { type: 'string', default: 'both' },
      'rate': { type: 'string' },
      'duration-s': { type: 'string' },
      'latency-ms': { type: 'string' },
      'limits': { type: 'string' },
      'objects': { type: 'string' },
      'events': { type: 'string' },
      'users': { type: 'string' },
      'source': { type: 'string' },
      'cpu-prof': { type: 'string' },
      'node-args': { type: 'string' },
      'sandbox-options': { type: 'string' },
    },
  });
  const number = (name: keyof typeof values, key: keyof SandboxCostOptions) =>
    (values[name] === undefined ? {} : { [key]: Number(values[name]) });
  const modes: SandboxMode[] = values.mode === 'both' ? ['normal', 'lean'] : [values.mode as SandboxMode];
  for (const mode of modes) {
    const result = await measureSandboxCost({
      mode,
      ...number('rate', 'rate'),
      ...number('duration-s', 'durationS'),
      ...number('latency-ms', 'latencyMs'),
      ...number('objects', 'objectsPerRequest'),
      ...number('events', 'eventsPerRequest'),
      ...number('users', 'users'),
      ...(values.limits === undefined ? {} : { limits: values.limits as 'default' | 'unlimited' }),
      ...(values['cpu-prof'] === undefined ? {} : { cpuProfDir: values['cpu-prof'] }),
      ...(values.source === undefined ? {} : { source: values.source as 'ts' | 'dist' }),
      ...(values['sandbox-options'] === undefined ? {} : { sandboxOptions: JSON.parse(values['sandbox-options']) as BrazeSandboxOptions }),
      ...(values['node-args'] === undefined ? {} : { nodeArgs: values['node-args'].split(' ').filter((a) => a !== '') }),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
