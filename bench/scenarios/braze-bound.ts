/**
 * Scenario 1, Braze-bound throughput: the same preloaded audience-membership records drained by tributary with
 * its defaults, by the partition-bound and per-record designs, and by Redpanda Connect, against a Braze sandbox
 * with Braze's default limits (3,000 /users/track per 3 s, 75 objects each: 75,000 objects/s at most) at 100 ms.
 *
 * Scenario 2, CPU cost: the same records, Braze unlimited at 0 ms, so tributary runs as fast as its core allows.
 */
import { randomUUID } from 'node:crypto';
import { boxSeconds, produceDataset, runDesign, runPeer, runTributary, type BenchContext, type Measured } from '../lib/contest.js';
import type { DatasetSpec } from '../lib/datasets.js';
import type { PeerLoad } from '../lib/peer.js';
import { fixed, int, pct, ratio, verdict, type Row, type ScenarioResult } from '../lib/report.js';
import { checkHeld, startStack, type Stack } from '../lib/stack.js';

export const BRAZE_CEILING = 75_000;
const TOPIC = 'actioniq.audience-membership';
const TOPICS = { actioniqAudienceMembership: TOPIC };
export const PEER_MAX_IN_FLIGHT = 64;

export interface BrazeBoundSizes {
  readonly records: number;
  readonly users: number;
  readonly partitions: number;
}

export function sizes(quick: boolean): BrazeBoundSizes {
  return quick ? { records: 300_000, users: 100_000, partitions: 8 } : { records: 600_000, users: 200_000, partitions: 8 };
}

export function membershipData(s: BrazeBoundSizes, hotShare?: number): DatasetSpec {
  return { kind: 'membership', records: s.records, users: s.users, seed: 1, ...(hotShare ? { hotShare } : {}) };
}

const groupId = (tag: string) => `bench-${tag}-${randomUUID().slice(0, 8)}`;

/** The throughput figure of a contestant: tributary's is the lower of overall and steady state, a rival's the higher. */
export function headline(m: Measured, ours: boolean): number {
  return ours ? Math.min(m.objects.overall, m.objects.steady) : Math.max(m.objects.overall, m.objects.steady);
}

function shares(m: Measured): string {
  return `processor ${pct(m.cpu.procShare)} of core 0; sandbox ${pct(m.cpu.sandboxShare)}, orchestrator ${pct(m.cpu.selfShare)} of core 1`;
}

function runNote(m: Measured, records: number): string {
  const base = `${int(m.objects.total)} objects in ${fixed(m.window.seconds)} s; overall ${int(m.objects.overall)}/s, middle 80 % ${int(m.objects.steady)}/s`;
  if (m.ending === 'finished') return `${base}; all ${int(records)} records done`;
  const rate = Math.max(m.objects.overall, m.objects.steady);
  return `${base}; ${m.ending === 'time box' ? 'time-boxed' : 'stalled'}: all ${int(records)} would take ~${int(records / Math.max(1, rate))} s at this rate (extrapolated)`;
}

export interface BrazeBoundOutcome {
  readonly result: ScenarioResult;
  /** tributary's headline objects/s, for the hot-user scenario's ratio. */
  readonly tributaryRate: number | null;
  /** The stack and its data, handed to scenario 2 when it runs too. */
  readonly stack: Stack | null;
}

export async function brazeBound(ctx: BenchContext, keepStack: boolean, peer: PeerLoad): Promise<BrazeBoundOutcome> {
  const s = sizes(ctx.quick);
  const boxes = ctx.quick ? { a: 8, b: 3, c: 3, d: 5 } : { a: 60, b: 20, c: 20, d: 30 };
  const stack = await startStack(ctx, { name: 's1-sandbox', partitions: s.partitions, brazeLatencyMs: 100, brazeLimits: 'default' });
  const rows: Row[] = [];
  const flags: string[] = [];
  const title = '1 Braze-bound throughput';
  let keep = false;
  try {
    ctx.log(`  producing ${int(s.records)} records (${int(s.users)} users, ${s.partitions} partitions)…`);
    const produced = await produceDataset(ctx, stack.sb, membershipData(s), TOPICS, 's1-producer');
    await checkHeld(stack.kafka, TOPIC, s.records);
    const target = (tag: string, expectedObjects?: number, box = 60) => ({
      sb: stack.sb, kafka: stack.kafka,
      limits: { records: s.records, groupId: groupId(tag), topics: [TOPIC], timeBoxS: boxSeconds(ctx, box, ctx.quick ? 75 : 300), startTimeoutS: 60, ...(expectedObjects ? { expectedObjects } : {}) },
    });

    const a = await runTributary(ctx, 's1-a-tributary', target('s1-a', undefined, boxes.a));
    const b = await runDesign(ctx, 's1-b-partition-bound', 'designs/partition-bound.ts', target('s1-b', s.records, boxes.b));
    const c = await runDesign(ctx, 's1-c-per-record', 'designs/per-record.ts', target('s1-c', s.records, boxes.c), { maxInFlight: 100 });
    let d: Measured | null = null;
    let peerNote = '';
    if (peer.ok) {
      d = await runPeer(ctx, 's1-d-redpanda-connect', peer.module, peer.build, target('s1-d', s.records, boxes.d), PEER_MAX_IN_FLIGHT);
      peerNote = `Redpanda Connect ${peer.build.version} (${peer.build.built ? `built in ${fixed(peer.build.buildSeconds)} s` : 'prebuilt'}), max_in_flight ${PEER_MAX_IN_FLIGHT}. ${peer.module.PEER_ORDER_NOTE}`;
    } else {
      peerNote = `skipped: ${peer.reason}`;
    }

    const ours = headline(a, true);
    const contestant = (label: string, m: Measured, isOurs: boolean) => {
      const rate = headline(m, isOurs);
      const over = m.requests.sent / Math.max(1, m.minRequests);
      rows.push({
        scenario: title, subject: label, metric: 'objects/s at Braze', value: int(rate),
        ...(isOurs ? { target: `≥ ${int(0.9 * BRAZE_CEILING)} (0.90 of 75,000)`, verdict: verdict(rate >= 0.9 * BRAZE_CEILING) } : {}),
        notes: `${isOurs ? 'lower' : 'higher'} of overall and middle-80 % rates; ${runNote(m, s.records)}; ${shares(m)}`,
      });
      rows.push({ scenario: title, subject: label, metric: 'share of the 75,000 objects/s ceiling', value: fixed(rate / BRAZE_CEILING, 3) });
      rows.push({
        scenario: title, subject: label, metric: 'requests sent / minimum ceil(objects/75)', value: `${int(m.requests.sent)} / ${int(m.minRequests)} (${fixed(over, 3)})`,
        ...(isOurs ? { target: '≤ 1.02 x minimum', verdict: verdict(over <= 1.02) } : {}),
        notes: 'every /users/track answer counted, 429s included',
      });
      rows.push({
        scenario: title, subject: label, metric: '429s (in the middle 80 %)', value: `${int(m.requests.r429)} (${int(m.steady429)})`,
        ...(isOurs ? { target: '0 in steady state', verdict: verdict(m.steady429 === 0) } : {}),
        ...(m.requests.other > 0 ? { notes: `${int(m.requests.other)} other non-2xx answers` } : {}),
      });
    };
    contestant('(a) tributary, defaults', a, true);
    const versus = (label: string, m: Measured, factor: number, targetText: string) => {
      contestant(label, m, false);
      const r = ours / Math.max(1e-9, headline(m, false));
      rows.push({ scenario: title, subject: label, metric: 'tributary (a) / this', value: ratio(r), target: targetText, verdict: verdict(factor === 1 ? r > 1 : r >= factor) });
    };
    versus('(b) partition-bound: 1 batch of 75 in flight per partition', b, 10, '≥ 10x');
    versus('(c) per-record: 1 request per record, 100 in flight', c, 50, '≥ 50x');
    if (d) {
      versus(`(d) Redpanda Connect, max_in_flight ${PEER_MAX_IN_FLIGHT}`, d, 1, '> 1x (ahead)');
      const note = peer.ok ? peer.module.PEER_ORDER_NOTE : '';
      if (note) {
        const kept = /^\s*no\b/i.test(note) ? 'not kept' : /^\s*yes\b/i.test(note) ? 'kept' : 'see notes';
        rows.push({ scenario: title, subject: '(d) Redpanda Connect', metric: 'keeps per-user order?', value: kept, notes: note });
      }
    } else {
      rows.push({ scenario: title, subject: '(d) Redpanda Connect', metric: 'objects/s at Braze', value: 'skipped', target: '> 1x (ahead)', verdict: 'n/a', notes: peerNote });
    }
    for (const m of [a, b, c, ...(d ? [d] : [])]) flags.push(...m.flags);
    keep = keepStack;
    return {
      result: {
        id: 1, title, rows, flags, sandboxShare: Math.max(...[a, b, c, ...(d ? [d] : [])].map((m) => m.cpu.sandboxShare)),
        parameters: [
          `${int(s.records)} actioniq.audience-membership records (Avro, keyed by user), ${int(s.users)} users, ${s.partitions} partitions, produced before any contestant starts (${int(produced.produced)} in ${fixed(produced.seconds)} s)`,
          "Braze sandbox: Braze's default limits (3,000 /users/track per 3 s), 75 objects per request combined, 100 ms latency",
          `time boxes after the first object: (a) ${boxes.a} s, (b) ${boxes.b} s, (c) ${boxes.c} s, (d) ${boxes.d} s; a time-boxed rate is measured over the box and the full drain extrapolated`,
          '(b) bench/designs/partition-bound.ts and (c) bench/designs/per-record.ts: kafkajs + @kafkajs/confluent-schema-registry + undici + tributary\'s ActionIQ mapper, 429/5xx retried with backoff, offsets committed after delivery',
          `(d) ${peerNote}`,
        ],
      },
      tributaryRate: ours,
      stack: keep ? stack : null,
    };
  } finally {
    if (!keep) await stack.close();
  }
}

/** Scenario 2 on scenario 1's stack and data (Braze switched to unlimited at 0 ms), or on its own. */
export async function cpuCost(ctx: BenchContext, shared: Stack | null): Promise<ScenarioResult> {
  const s = sizes(ctx.quick);
  const title = '2 CPU cost';
  const stack = shared ?? (await startStack(ctx, { name: 's2-sandbox', partitions: s.partitions, brazeLatencyMs: 0, brazeLimits: 'unlimited' }));
  try {
    let produced = '';
    if (shared) {
      await stack.sb.braze.configure({ limits: 'unlimited', latencyMs: 0 });
      produced = "scenario 1's records, still in its broker; the Braze sandbox switched to unlimited, 0 ms at run time";
    } else {
      const p = await produceDataset(ctx, stack.sb, membershipData(s), TOPICS, 's2-producer');
      await checkHeld(stack.kafka, TOPIC, s.records);
      produced = `the same records as scenario 1, produced before the run (${int(p.produced)} in ${fixed(p.seconds)} s)`;
    }
    const m = await runTributary(ctx, 's2-tributary', {
      sb: stack.sb, kafka: stack.kafka,
      limits: { records: s.records, groupId: groupId('s2'), topics: [TOPIC], timeBoxS: boxSeconds(ctx, ctx.quick ? 6 : 45, ctx.quick ? 60 : 280), startTimeoutS: 60 },
    });
    const finished = m.ending === 'finished';
    // Per record when every record was done (objects can be fewer: a user's updates in one request are merged).
    const units = finished ? s.records : m.objects.total;
    const usPerRecord = (m.cpu.procS * 1e6) / Math.max(1, units);
    const recordsPerS = finished ? s.records / m.window.seconds : m.objects.overall;
    return {
      id: 2, title, flags: m.flags, sandboxShare: m.cpu.sandboxShare,
      parameters: [
        `${int(s.records)} actioniq.audience-membership records, ${int(s.users)} users, ${s.partitions} partitions: ${produced}`,
        'Braze sandbox unlimited, 0 ms latency: tributary (defaults) runs as fast as its core allows',
        'CPU: utime+stime of the processor process from /proc/<pid>/stat, from the last sample before the first object to the first sample showing the last one',
      ],
      rows: [
        { scenario: title, subject: 'tributary, defaults', metric: finished ? 'records/s' : 'objects/s (time-boxed)', value: int(recordsPerS), notes: runNote(m, s.records) },
        {
          scenario: title, subject: 'tributary, defaults', metric: `processor CPU per ${finished ? 'record' : 'object'}`, value: `${fixed(usPerRecord, 2)} µs`,
          target: '≤ 10 µs', verdict: verdict(usPerRecord <= 10), notes: `${fixed(m.cpu.procS, 2)} s CPU / ${int(units)} ${finished ? 'records' : 'objects'}; ${shares(m)}`,
        },
        { scenario: title, subject: 'tributary, defaults', metric: 'objects per /users/track request', value: fixed(m.objects.total / Math.max(1, m.requests.ok)), notes: `${int(m.requests.ok)} requests answered 2xx` },
        { scenario: title, subject: 'tributary, defaults', metric: 'processor peak RSS (VmHWM)', value: `${fixed(m.peakRss / 1e6, 0)} MB` },
      ],
    };
  } finally {
    await stack.close();
  }
}
