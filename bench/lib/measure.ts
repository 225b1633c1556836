/**
 * Measuring from outside: the Braze sandbox's counters (objects received, /users/track answers by status),
 * sampled every 250 ms (every 50 ms before the first object and near the end), with the CPU and memory of the
 * processes from /proc at the same moments. A run ends when every record is committed or every expected object
 * counted, when its time box is over, or when nothing arrives any more.
 */
import type { KafkaView } from './kafka.js';
import { ProcessProbe, type Child } from './procs.js';
import { objectsOf, sumValues, trackStatuses, type BrazeControl, type BrazeCounters } from './sandbox.js';

export interface Sample {
  /** ms (performance.now()). */
  readonly t: number;
  readonly objects: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly counters: BrazeCounters;
  /** utime+stime, seconds, of the process under test (and its descendants for peers). */
  readonly procCpuS: number | null;
  readonly procRss: number | null;
  readonly sandboxCpuS: number | null;
  /** This orchestrator's own CPU (it shares core 1 with the sandbox). */
  readonly selfCpuS: number;
  /** Other helper processes on core 1 (the live producer), summed. */
  readonly helperCpuS: number;
}

export interface RunLimits {
  /** Records in the topics: the run is finished once the group committed past all of them. */
  readonly records: number;
  /** Objects Braze must count for the run to be finished (when known: designs that merge nothing). */
  readonly expectedObjects?: number;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Seconds after the first object; then the run stops and its figures are a rate over the box. */
  readonly timeBoxS: number;
  /** Seconds from the start to the first object before the run fails. */
  readonly startTimeoutS: number;
  /** Seconds without a new object (after the first one) that end the run as stalled. */
  readonly stallS?: number;
}

export type Ending = 'finished' | 'time box' | 'stalled';

export interface RunRecord {
  readonly samples: Sample[];
  readonly ending: Ending;
  /** VmHWM of the process under test just before it was stopped, bytes. */
  readonly peakRss: number;
  /** Seconds from spawn to the first object. */
  readonly firstObjectAfterS: number;
  readonly committed: number;
}

const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Observed {
  readonly braze: BrazeControl;
  readonly sandboxPid: number;
  readonly kafka: KafkaView;
  readonly helpers?: () => readonly number[];
}

/**
 * Samples until the run ends. `child` is already started; `startedAt` is when (performance.now()).
 * The caller resets the Braze sandbox before starting the child.
 */
export async function observeRun(child: Child, tree: boolean, startedAt: number, limits: RunLimits, obs: Observed): Promise<RunRecord> {
  const probe = new ProcessProbe(child.pid, tree);
  const sandbox = new ProcessProbe(obs.sandboxPid, false);
  const samples: Sample[] = [];
  let exited: number | string | null = null;
  void child.exited.then((c) => (exited = c));
  let peakRss = 0;
  let committed = 0;
  let lastCommitCheck = 0;
  let ending: Ending | null = null;
  let firstAt: number | null = null;
  let lastGrowthAt = 0;
  const stallMs = (limits.stallS ?? 20) * 1000;

  const take = async (): Promise<Sample> => {
    const t0 = performance.now();
    const counters = await obs.braze.counters();
    const t1 = performance.now();
    const mem = probe.mem();
    if (mem) peakRss = Math.max(peakRss, mem.hwm, mem.rss);
    let helperCpuS = 0;
    for (const pid of obs.helpers?.() ?? []) helperCpuS += new ProcessProbe(pid, false).cpuS() ?? 0;
    const s: Sample = {
      t: (t0 + t1) / 2,
      objects: objectsOf(counters),
      statuses: trackStatuses(counters),
      counters,
      procCpuS: probe.cpuS(),
      procRss: mem?.rss ?? null,
      sandboxCpuS: sandbox.cpuS(),
      selfCpuS: selfCpu(),
      helperCpuS,
    };
    samples.push(s);
    return s;
  };

  for (;;) {
    const s = await take();
    const prev = samples.length > 1 ? samples[samples.length - 2]! : null;
    if (s.objects > 0 && firstAt === null) firstAt = s.t;
    if (prev === null || s.objects > prev.objects) lastGrowthAt = s.t;
    if (limits.expectedObjects !== undefined && s.objects >= limits.expectedObjects) {
      ending = 'finished';
      break;
    }
    if (firstAt !== null && s.t - lastCommitCheck >= 1000) {
      lastCommitCheck = s.t;
      committed = await obs.kafka.committed(limits.groupId, limits.topics).catch(() => committed);
      if (committed >= limits.records) {
        // Committed after delivery: every object is counted by now. One more sample to see the last ones.
        await sleep(50);
        await take();
        ending = 'finished';
        break;
      }
    }
    if (firstAt !== null && s.t - firstAt >= limits.timeBoxS * 1000) {
      ending = 'time box';
      break;
    }
    if (firstAt !== null && s.t - lastGrowthAt >= stallMs) {
      ending = 'stalled';
      break;
    }
    if (firstAt === null && s.t - startedAt > limits.startTimeoutS * 1000) {
      throw new Error(`${child.name}: no object reached Braze within ${limits.startTimeoutS} s\n${child.tail()}`);
    }
    if (exited !== null) throw new Error(`${child.name} exited (${exited}) during the run\n${child.tail()}`);
    const nearEnd = limits.expectedObjects !== undefined && s.objects >= 0.97 * limits.expectedObjects;
    await sleep(firstAt === null || nearEnd ? 50 : 250);
  }
  const mem = probe.mem();
  if (mem) peakRss = Math.max(peakRss, mem.hwm);
  return { samples, ending, peakRss, firstObjectAfterS: ((firstAt ?? performance.now()) - startedAt) / 1000, committed };
}

// ---------------------------------------------------------------------------------------------
// Figures from the samples

export interface Window {
  /** Index of the last sample before the first object (or 0). */
  readonly i0: number;
  /** Index of the sample that closes the run (first showing the final count, or the last of a time box). */
  readonly j: number;
  /** Estimated moments of the first and the last object, ms. */
  readonly tFirst: number;
  readonly tLast: number;
  readonly seconds: number;
}

export function windowOf(samples: readonly Sample[], ending: Ending): Window {
  const first = samples.findIndex((s) => s.objects > 0);
  if (first < 0) throw new Error('no object arrived');
  const i0 = Math.max(0, first - 1);
  const tFirst = first === 0 ? samples[0]!.t : (samples[first - 1]!.t + samples[first]!.t) / 2;
  let j = samples.length - 1;
  let tLast = samples[j]!.t;
  if (ending !== 'time box') {
    const final = samples[j]!.objects;
    j = samples.findIndex((s) => s.objects === final);
    tLast = j > first ? (samples[j - 1]!.t + samples[j]!.t) / 2 : samples[j]!.t;
  }
  return { i0, j, tFirst, tLast, seconds: Math.max(1e-3, (tLast - tFirst) / 1000) };
}

/** Value of a series at time t, by linear interpolation between samples. */
function at(samples: readonly Sample[], value: (s: Sample) => number, t: number): number {
  if (t <= samples[0]!.t) return value(samples[0]!);
  for (let k = 1; k < samples.length; k++) {
    const a = samples[k - 1]!;
    const b = samples[k]!;
    if (t <= b.t) return value(a) + ((value(b) - value(a)) * (t - a.t)) / Math.max(1e-9, b.t - a.t);
  }
  return value(samples[samples.length - 1]!);
}

export interface Rates {
  /** Count of the series at the end of the window. */
  readonly total: number;
  /** total / (last - first). */
  readonly overall: number;
  /** Rate over the middle 80 % of the window. */
  readonly steady: number;
}

export function ratesOf(samples: readonly Sample[], w: Window, value: (s: Sample) => number = (s) => s.objects): Rates {
  const total = value(samples[w.j]!);
  const d = w.tLast - w.tFirst;
  const a = w.tFirst + 0.1 * d;
  const b = w.tLast - 0.1 * d;
  const steady = b > a ? ((at(samples, value, b) - at(samples, value, a)) * 1000) / (b - a) : total / w.seconds;
  return { total, overall: total / w.seconds, steady };
}

/** 429s within the middle 80 % of the window, counted from the last sample at or before its start to the first at or after its end. */
export function steady429(samples: readonly Sample[], w: Window): number {
  const d = w.tLast - w.tFirst;
  const a = w.tFirst + 0.1 * d;
  const b = w.tLast - 0.1 * d;
  let ia = 0;
  for (let k = 0; k < samples.length; k++) if (samples[k]!.t <= a) ia = k;
  let ib = samples.length - 1;
  for (let k = samples.length - 1; k >= 0; k--) if (samples[k]!.t >= b) ib = k;
  const n = (s: Sample) => s.statuses['429'] ?? 0;
  return n(samples[ib]!) - n(samples[ia]!);
}

export interface CpuFigures {
  /** utime+stime of the process under test over the window, seconds. */
  readonly procS: number;
  /** Share of one core, over the window's wall time. */
  readonly procShare: number;
  readonly sandboxShare: number;
  readonly selfShare: number;
  readonly helperShare: number;
  readonly wallS: number;
}

export function cpuOf(samples: readonly Sample[], w: Window): CpuFigures {
  const a = samples[w.i0]!;
  const b = samples[w.j]!;
  const wallS = Math.max(1e-3, (b.t - a.t) / 1000);
  const d = (f: (s: Sample) => number | null) => Math.max(0, (f(b) ?? 0) - (f(a) ?? 0));
  const procS = d((s) => s.procCpuS);
  return {
    procS,
    procShare: procS / wallS,
    sandboxShare: d((s) => s.sandboxCpuS) / wallS,
    selfShare: d((s) => s.selfCpuS) / wallS,
    helperShare: d((s) => s.helperCpuS) / wallS,
    wallS,
  };
}

export interface RequestFigures {
  /** Every /users/track request answered (any status). */
  readonly sent: number;
  readonly ok: number;
  readonly r429: number;
  readonly other: number;
}

export function requestsOf(s: Sample): RequestFigures {
  const sent = sumValues(s.statuses);
  const ok = sumValues(s.statuses, (k) => k.startsWith('2'));
  const r429 = s.statuses['429'] ?? 0;
  return { sent, ok, r429, other: sent - ok - r429 };
}
