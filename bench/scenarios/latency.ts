/**
 * Scenario 3, latency: actioniq.events produced live at 5,000 records/s (each stamped with its produce time in
 * `timestamp`, which tributary maps to the Braze event `time`), Braze at 50 ms: end-to-end p50/p95/p99 from the
 * record's timestamp to Braze's acknowledgement, over a measured stretch after a warm-up.
 */
import { randomUUID } from 'node:crypto';
import { cpuOrNull, PROCESSOR_CPU, STACK_CPU, startLiveProducer, type BenchContext } from '../lib/contest.js';
import { quantilesOf, readEventAge, RequestLogAges, type Quantiles } from '../lib/latency.js';
import { ProcessProbe } from '../lib/procs.js';
import { metricSum, readMetrics, startProcessor, type Metrics } from '../lib/processor.js';
import { int, pct, verdict, type Row, type ScenarioResult } from '../lib/report.js';
import { startStack, type Stack } from '../lib/stack.js';

const RATE = 5000;
const TOPICS = { actioniqEvents: 'actioniq.events' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The processor's own end-to-end histogram (record timestamp to Braze's answer), as a cross-check: bucket upper bounds. */
function processorQuantiles(m: Metrics): Quantiles | null {
  const buckets = (m.get('tributary_end_to_end_latency_seconds_bucket') ?? [])
    .reduce((acc, s) => acc.set(s.labels.le!, (acc.get(s.labels.le!) ?? 0) + s.value), new Map<string, number>());
  const list = [...buckets].map(([le, count]) => ({ upper: le === '+Inf' ? Infinity : Number(le) * 1000, count })).sort((a, b) => a.upper - b.upper);
  const total = list[list.length - 1]?.count ?? 0;
  if (total === 0) return null;
  const q = (p: number) => list.find((b) => b.count >= p * total)?.upper ?? Infinity;
  return { count: total, p50: q(0.5), p95: q(0.95), p99: q(0.99), method: "the processor's tributary_end_to_end_latency_seconds histogram (bucket upper bounds, warm-up included)" };
}

// Rounded up, so a figure shown at the target never hides one just over it.
const ms = (v: number) => (Number.isFinite(v) ? `${Math.ceil(v)} ms` : '> largest bucket');

export async function latency(ctx: BenchContext): Promise<ScenarioResult> {
  const title = '3 Latency';
  const measureS = ctx.quick ? 15 : 60;
  const warmS = ctx.quick ? 2 : 3;
  let stack: Stack = await startStack(ctx, { name: 's3-sandbox', partitions: 8, brazeLatencyMs: 50, brazeLimits: 'default' });
  const flags: string[] = [];
  try {
    // The sandbox's own histogram when it has one; else its request log, which --lean turns off.
    let histogram = 'eventAgeMs' in (await stack.sb.braze.counters());
    if (!histogram && stack.lean) {
      ctx.log('  no eventAgeMs in /_sandbox/counters: restarting the sandbox without --lean to read its request log');
      await stack.close();
      stack = await startStack(ctx, { name: 's3-sandbox-log', partitions: 8, brazeLatencyMs: 50, brazeLimits: 'default', lean: false });
      histogram = false;
    }
    const groupId = `bench-s3-${randomUUID().slice(0, 8)}`;
    const proc = await startProcessor('s3-tributary', stack.sb.addresses, groupId, { keepTakeoverHold: ctx.keepTakeoverHold }, ctx.dir, cpuOrNull(ctx, PROCESSOR_CPU));
    const live = startLiveProducer(ctx, stack.sb, { kind: 'events', users: 200_000, seed: 3 }, TOPICS, RATE, measureS + 120, cpuOrNull(ctx, STACK_CPU));
    try {
      // Warm-up: until events arrive (group joined, schemas fetched), then a few seconds more.
      const until = performance.now() + 60_000;
      while ((await stack.sb.braze.counters()).objects.events.received === 0) {
        if (performance.now() > until) throw new Error(`no event reached Braze within 60 s\n${proc.child.tail()}`);
        await sleep(100);
      }
      await sleep(warmS * 1000);
      await stack.sb.braze.reset();
      const ages = new RequestLogAges(stack.sb.braze);
      const probes = { proc: new ProcessProbe(proc.child.pid, false), sb: new ProcessProbe(stack.sb.child.pid, false), prod: new ProcessProbe(live.child.pid, false) };
      const cpu0 = { proc: probes.proc.cpuS() ?? 0, sb: probes.sb.cpuS() ?? 0, prod: probes.prod.cpuS() ?? 0, self: process.cpuUsage() };
      const produced0 = live.produced();
      const t0 = performance.now();
      while (performance.now() - t0 < measureS * 1000) {
        if (!histogram) await ages.poll();
        await sleep(250);
      }
      const wallS = (performance.now() - t0) / 1000;
      const self = process.cpuUsage(cpu0.self);
      const shares = {
        proc: ((probes.proc.cpuS() ?? 0) - cpu0.proc) / wallS,
        sb: ((probes.sb.cpuS() ?? 0) - cpu0.sb) / wallS,
        prod: ((probes.prod.cpuS() ?? 0) - cpu0.prod) / wallS,
        self: (self.user + self.system) / 1e6 / wallS,
      };
      const producedRate = (live.produced() - produced0) / wallS;
      await live.child.stop(3000);
      // Let what was produced last arrive, so slow ones are not left out.
      await sleep(2000);
      if (!histogram) await ages.poll();
      const counters = await stack.sb.braze.counters();
      const q = histogram ? readEventAge(counters) : quantilesOf(ages.ages, "the Braze sandbox's request log: each request's arrival plus its duration, minus each event's time (exact, every event)");
      const metrics = await readMetrics(proc.metricsUrl).catch(() => null);
      const cross = metrics ? processorQuantiles(metrics) : null;
      if (shares.sb > 0.85) flags.push(`3: the sandbox used ${pct(shares.sb)} of its core`);
      if (ages.missed > 0) flags.push(`3: ${ages.missed} requests were missed by the request-log reader`);
      if (producedRate < RATE * 0.95) flags.push(`3: the producer reached only ${int(producedRate)} records/s of ${int(RATE)}`);
      if (!histogram) flags.push("3: the sandbox has no event-age histogram (eventAgeMs) yet: latency read from its request log (sandbox without --lean for this scenario)");
      const rows: Row[] = [];
      const subject = 'tributary, defaults';
      const note = q ? `${int(q.count)} events; ${q.method}` : `no figures${histogram ? `: eventAgeMs not understood: ${JSON.stringify(counters.eventAgeMs).slice(0, 300)}` : ''}`;
      if (q) {
        rows.push({ scenario: title, subject, metric: 'end-to-end p50', value: ms(q.p50), notes: note });
        rows.push({ scenario: title, subject, metric: 'end-to-end p95', value: ms(q.p95) });
        rows.push({ scenario: title, subject, metric: 'end-to-end p99', value: ms(q.p99), target: '≤ 250 ms', verdict: verdict(q.p99 <= 250), ...(q.max !== undefined ? { notes: `max ${ms(q.max)}` } : {}) });
      } else {
        rows.push({ scenario: title, subject, metric: 'end-to-end p99', value: 'no data', target: '≤ 250 ms', verdict: 'n/a', notes: note });
      }
      if (cross) rows.push({ scenario: title, subject, metric: "processor's own histogram p50 / p99 (cross-check)", value: `≤ ${ms(cross.p50)} / ≤ ${ms(cross.p99)}`, notes: cross.method });
      rows.push({
        scenario: title, subject, metric: 'records produced per second (live)', value: int(producedRate),
        notes: `processor ${pct(shares.proc)} of core 0; sandbox ${pct(shares.sb)}, producer ${pct(shares.prod)}, orchestrator ${pct(shares.self)} of core 1; processor delivered ${metrics ? int(metricSum(metrics, 'tributary_records_delivered_total')) : '?'} records in all`,
      });
      return {
        id: 3, title, rows, flags, sandboxShare: shares.sb,
        parameters: [
          `actioniq.events records (Avro, keyed by user, 200,000 users, 8 partitions) produced live at ${int(RATE)} records/s by a producer process on core 1, each with \`timestamp\` = the moment it was made`,
          'Braze sandbox at 50 ms latency, default limits',
          `${warmS} s of warm-up after the first event reached Braze, then the sandbox's counters reset and ${measureS} s measured; the producer then stops and 2 s are left for the last events`,
          `latency from ${histogram ? "the sandbox's event-age histogram" : "the sandbox's request log (the sandbox ran without --lean for this)"}`,
        ],
      };
    } finally {
      await live.child.stop(2000);
      await proc.child.stop(3000);
    }
  } finally {
    await stack.close();
  }
}
