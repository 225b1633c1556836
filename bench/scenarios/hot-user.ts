/**
 * Scenario 5, hot user: scenario 1's workload with 30 % of the records from one user. What counts is how fast
 * everyone else's objects reach Braze, relative to scenario 1 (a).
 *
 * Braze's counters do not say whose objects they counted, so the others' objects are bounded from below:
 * tributary merges a user's attribute updates within one request, so each request carries at most one object of
 * the hot user; the others' objects are at least (objects - 2xx requests).
 */
import { randomUUID } from 'node:crypto';
import { boxSeconds, produceDataset, runTributary, type BenchContext } from '../lib/contest.js';
import type { Sample } from '../lib/measure.js';
import { ratesOf } from '../lib/measure.js';
import { fixed, int, verdict, type ScenarioResult } from '../lib/report.js';
import { checkHeld, startStack } from '../lib/stack.js';
import { sumValues } from '../lib/sandbox.js';
import { BRAZE_CEILING, membershipData, sizes } from './braze-bound.js';

const TOPIC = 'actioniq.audience-membership';
const HOT_SHARE = 0.3;

export async function hotUser(ctx: BenchContext, s1Rate: number | null): Promise<ScenarioResult> {
  const title = '5 Hot user';
  const s = sizes(ctx.quick);
  const stack = await startStack(ctx, { name: 's5-sandbox', partitions: s.partitions, brazeLatencyMs: 100, brazeLimits: 'default' });
  try {
    const p = await produceDataset(ctx, stack.sb, membershipData(s, HOT_SHARE), { actioniqAudienceMembership: TOPIC }, 's5-producer');
    await checkHeld(stack.kafka, TOPIC, s.records);
    const m = await runTributary(ctx, 's5-tributary', {
      sb: stack.sb, kafka: stack.kafka,
      limits: { records: s.records, groupId: `bench-s5-${randomUUID().slice(0, 8)}`, topics: [TOPIC], timeBoxS: boxSeconds(ctx, ctx.quick ? 5 : 45, ctx.quick ? 12 : 50), startTimeoutS: 60 },
    });
    const hotRecords = Math.round(s.records * HOT_SHARE);
    const others = (x: Sample) => x.objects - Math.min(sumValues(x.statuses, (k) => k.startsWith('2')), hotRecords);
    const r = ratesOf(m.samples, m.window, others);
    const rate = Math.min(r.overall, r.steady);
    const rel = s1Rate === null ? null : rate / s1Rate;
    return {
      id: 5, title, flags: m.flags, sandboxShare: m.cpu.sandboxShare,
      parameters: [
        `as scenario 1 (${int(s.records)} records, ${int(s.users)} users, ${s.partitions} partitions, Braze default limits, 100 ms), with ${HOT_SHARE * 100} % of the records from one user (produced in ${fixed(p.seconds)} s)`,
        "the others' objects are bounded from below by (objects - 2xx requests): tributary merges one user's attribute updates in a request, so a request carries at most one object of the hot user",
        "the ratio compares the lower of the others' overall and middle-80 % rates with scenario 1 (a)'s headline rate of the same run",
      ],
      rows: [
        { scenario: title, subject: 'tributary, defaults', metric: "other users' objects/s (lower bound)", value: int(rate), notes: `overall ${int(r.overall)}/s, middle 80 % ${int(r.steady)}/s; all objects ${int(m.objects.total)} in ${fixed(m.window.seconds)} s (${m.ending}); ${int(m.requests.ok)} requests 2xx, ${int(m.requests.r429)} 429` },
        {
          scenario: title, subject: 'tributary, defaults', metric: "others' rate / scenario 1 (a)", value: rel === null ? 'n/a' : fixed(rel, 2),
          target: '≥ 0.9', verdict: verdict(rel === null ? null : rel >= 0.9), notes: rel === null ? 'scenario 1 was not run' : `scenario 1 (a): ${int(s1Rate!)} objects/s; of the ceiling: ${fixed(rate / BRAZE_CEILING, 3)}`,
        },
      ],
    };
  } finally {
    await stack.close();
  }
}
