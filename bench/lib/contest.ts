/**
 * One contestant's run against a running sandbox: Braze counters reset, the process started on core 0, observed
 * until it finished (or its time box ran out), stopped; and the figures of that run.
 */
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, spawnChild, type Child } from './procs.js';
import { cpuOf, observeRun, ratesOf, requestsOf, steady429, windowOf, type CpuFigures, type Ending, type Rates, type RequestFigures, type RunLimits, type RunRecord, type Sample, type Window } from './measure.js';
import { readMetrics, readyLine, startProcessor, type Metrics, type ProcessorSetup } from './processor.js';
import { ROOT, type SandboxProcess } from './sandbox.js';
import type { KafkaView } from './kafka.js';
import type { DatasetSpec } from './datasets.js';
import type { ProducerJob } from './producer-main.js';
import type { PeerBuild, PeerModule } from './peer.js';
import type { DesignArgs } from '../designs/common.js';

export const PROCESSOR_CPU = 0;
export const STACK_CPU = 1;

export interface BenchContext {
  readonly quick: boolean;
  readonly pinned: boolean;
  /** `--lean` is used for the sandbox (it supports it and it was not turned off). */
  readonly lean: boolean;
  readonly keepTakeoverHold: boolean;
  /** Temporary folder: configuration files and every child's log. */
  readonly dir: string;
  /** performance.now() by which the whole run must be done. */
  readonly deadline: number;
  log(line: string): void;
}

/** A time box of `wanted` seconds, shortened so the run stays within its overall budget (`reserveS` kept for what follows). */
export function boxSeconds(ctx: BenchContext, wanted: number, reserveS = 20): number {
  const left = (ctx.deadline - performance.now()) / 1000 - reserveS;
  return Math.max(3, Math.min(wanted, left));
}

export function cpuOrNull(ctx: BenchContext, cpu: number): number | null {
  return ctx.pinned ? cpu : null;
}

const TSX = ['--import', 'tsx'];

/** Runs a script of bench/ (TypeScript) in its own node process. */
export function spawnBenchScript(ctx: BenchContext, name: string, script: string, arg: object, cpu: number | null, onLine?: (l: string) => void): Child {
  const file = fileURLToPath(new URL(`../${script}`, import.meta.url));
  return spawnChild(name, process.execPath, [...TSX, file, JSON.stringify(arg)], { cpu, cwd: ROOT, env: cleanEnv(), ...(onLine ? { onStdoutLine: onLine } : {}) });
}

export interface ProduceResult {
  readonly produced: number;
  readonly seconds: number;
}

/**
 * Writes a finite dataset with producer processes and waits until they are done: one per core when pinned (before
 * any contestant runs, so both cores are free), each writing every other record.
 */
export async function produceDataset(
  ctx: BenchContext, sb: SandboxProcess, dataset: DatasetSpec, topics: Record<string, string>, name: string,
): Promise<ProduceResult> {
  const cores = ctx.pinned ? [PROCESSOR_CPU, STACK_CPU] : [null, null];
  const started = performance.now();
  let total = 0;
  const reported = cores.map(() => 0);
  await Promise.all(cores.map(async (cpu, index) => {
    const job: ProducerJob = {
      brokers: [sb.addresses.kafka], registryUrl: sb.addresses.schemaRegistry, dataset, topics, batch: 5000, inFlight: 4,
      shard: { index, count: cores.length },
    };
    let done: number | null = null;
    const child = spawnBenchScript(ctx, `${name}-${index}`, 'lib/producer-main.ts', job, cpu, (line) => {
      if (!line.startsWith('{')) return;
      const m = JSON.parse(line) as { done?: boolean; produced?: number; progress?: number };
      if (m.done) done = m.produced ?? 0;
      else if (m.progress) {
        reported[index] = m.progress;
        if (index === 0) ctx.log(`  produced ~${(reported.reduce((a, b) => a + b, 0)).toLocaleString('en-US')}`);
      }
    });
    const code = await child.exited;
    if (code !== 0 || done === null) throw new Error(`producer failed (${code})\n${child.tail()}`);
    total += done;
  }));
  return { produced: total, seconds: (performance.now() - started) / 1000 };
}

/** Starts the live producer (pinned to `cpu`); stop it with `child.stop()`. */
export function startLiveProducer(ctx: BenchContext, sb: SandboxProcess, dataset: DatasetSpec, topics: Record<string, string>, rate: number, maxSeconds: number, cpu: number | null): { child: Child; produced: () => number } {
  const job: ProducerJob = { brokers: [sb.addresses.kafka], registryUrl: sb.addresses.schemaRegistry, dataset, topics, batch: 1000, inFlight: 1, ratePerSecond: rate, maxSeconds };
  let produced = 0;
  const child = spawnBenchScript(ctx, 'live-producer', 'lib/producer-main.ts', job, cpu, (line) => {
    if (!line.startsWith('{')) return;
    const m = JSON.parse(line) as { produced?: number; progress?: number };
    produced = m.produced ?? m.progress ?? produced;
  });
  return { child, produced: () => produced };
}

export interface Measured {
  readonly name: string;
  readonly ending: Ending;
  readonly window: Window;
  readonly objects: Rates;
  readonly requests: RequestFigures;
  /** ceil(objects / 75). */
  readonly minRequests: number;
  readonly steady429: number;
  readonly cpu: CpuFigures;
  readonly peakRss: number;
  readonly firstObjectAfterS: number;
  readonly committed: number;
  readonly samples: readonly Sample[];
  readonly metrics: Metrics | null;
  /** Lines for the flags: the measuring stack near its core's limit, a cut or stalled run. */
  readonly flags: string[];
}

export function measuredOf(name: string, run: RunRecord, metrics: Metrics | null, ctx: BenchContext): Measured {
  const window = windowOf(run.samples, run.ending);
  const objects = ratesOf(run.samples, window);
  const cpu = cpuOf(run.samples, window);
  const flags: string[] = [];
  const stack = cpu.sandboxShare + cpu.selfShare + cpu.helperShare;
  if (cpu.sandboxShare > 0.85) flags.push(`${name}: the sandbox used ${(cpu.sandboxShare * 100).toFixed(0)} % of its core: the measuring stack may have limited this figure`);
  else if (ctx.pinned && stack > 0.85) flags.push(`${name}: core 1 (sandbox ${(cpu.sandboxShare * 100).toFixed(0)} %, orchestrator and helpers ${((stack - cpu.sandboxShare) * 100).toFixed(0)} %) was ${(stack * 100).toFixed(0)} % busy`);
  if (run.ending === 'stalled') flags.push(`${name}: stalled (no new object for 20 s) after ${objects.total.toLocaleString('en-US')} objects`);
  return {
    name,
    ending: run.ending,
    window,
    objects,
    requests: requestsOf(run.samples[window.j]!),
    minRequests: Math.ceil(objects.total / 75),
    steady429: steady429(run.samples, window),
    cpu,
    peakRss: run.peakRss,
    firstObjectAfterS: run.firstObjectAfterS,
    committed: run.committed,
    samples: run.samples,
    metrics,
    flags,
  };
}

export interface ContestantTarget {
  readonly sb: SandboxProcess;
  readonly kafka: KafkaView;
  readonly limits: RunLimits;
  readonly helpers?: () => readonly number[];
}

async function observeAndStop(ctx: BenchContext, name: string, child: Child, tree: boolean, started: number, t: ContestantTarget, metricsUrl: string | null): Promise<Measured> {
  try {
    const run = await observeRun(child, tree, started, t.limits, { braze: t.sb.braze, sandboxPid: t.sb.child.pid, kafka: t.kafka, ...(t.helpers ? { helpers: t.helpers } : {}) });
    const metrics = metricsUrl ? await readMetrics(metricsUrl).catch(() => null) : null;
    const m = measuredOf(name, run, metrics, ctx);
    ctx.log(`  ${name}: ${Math.round(m.objects.total).toLocaleString('en-US')} objects in ${m.window.seconds.toFixed(1)} s (${run.ending}, first object ${m.firstObjectAfterS.toFixed(1)} s after start): ${Math.round(m.objects.overall).toLocaleString('en-US')} objects/s, steady ${Math.round(m.objects.steady).toLocaleString('en-US')}/s; processor ${(m.cpu.procShare * 100).toFixed(0)} % of a core, sandbox ${(m.cpu.sandboxShare * 100).toFixed(0)} %`);
    return m;
  } finally {
    // Dead before the next contestant resets the counters, so none of its late requests is counted there.
    await child.stop(1500);
  }
}

/** tributary itself: `tributary run` with the default configuration and the sandbox's connection facts. */
export async function runTributary(ctx: BenchContext, name: string, t: ContestantTarget, setup: Omit<ProcessorSetup, 'keepTakeoverHold'> = {}): Promise<Measured> {
  await t.sb.braze.reset();
  const started = performance.now();
  const proc = await startProcessor(name, t.sb.addresses, t.limits.groupId, { ...setup, keepTakeoverHold: ctx.keepTakeoverHold }, ctx.dir, cpuOrNull(ctx, PROCESSOR_CPU));
  return observeAndStop(ctx, name, proc.child, false, started, t, proc.metricsUrl);
}

/** One of bench/designs/: a standalone process consuming the topic and posting to Braze. */
export async function runDesign(ctx: BenchContext, name: string, script: string, t: ContestantTarget, extra: Partial<DesignArgs> = {}): Promise<Measured> {
  await t.sb.braze.reset();
  const partitions = (await t.kafka.offsets(t.limits.topics[0]!)).partitions;
  const args: DesignArgs = {
    brokers: [t.sb.addresses.kafka], topic: t.limits.topics[0]!, groupId: t.limits.groupId, registryUrl: t.sb.addresses.schemaRegistry,
    brazeUrl: t.sb.addresses.braze, apiKey: t.sb.addresses.brazeApiKey, partitions, ...extra,
  };
  const started = performance.now();
  const child = spawnBenchScript(ctx, name, script, args, cpuOrNull(ctx, PROCESSOR_CPU));
  try {
    await readyLine(child, 60_000);
  } catch (err) {
    await child.stop(1000);
    throw err;
  }
  return observeAndStop(ctx, name, child, false, started, t, null);
}

/** Redpanda Connect with the peer module's configuration. */
export async function runPeer(ctx: BenchContext, name: string, peer: PeerModule, build: PeerBuild, t: ContestantTarget, maxInFlight: number): Promise<Measured> {
  await t.sb.braze.reset();
  const configPath = join(ctx.dir, `${name}.yaml`);
  writeFileSync(configPath, peer.redpandaConnectConfig({
    brokers: [t.sb.addresses.kafka], topic: t.limits.topics[0]!, groupId: t.limits.groupId, registryUrl: t.sb.addresses.schemaRegistry,
    brazeUrl: t.sb.addresses.braze, brazeApiKey: t.sb.addresses.brazeApiKey, maxInFlight, attributePrefix: 'AIQ',
  }));
  const { command, args } = peer.redpandaConnectCommand(build, configPath);
  const started = performance.now();
  const child = spawnChild(name, command, args, { cpu: cpuOrNull(ctx, PROCESSOR_CPU), cwd: ROOT, env: cleanEnv() });
  return observeAndStop(ctx, name, child, true, started, t, null);
}
