/**
 * Scenario 6, mixed partners: ActionIQ (membership, attributes, events), Extole, Komo and Quikly records
 * interleaved as the demo's SampleRecordGenerator makes them: how full tributary's /users/track requests are.
 */
import { randomUUID } from 'node:crypto';
import { SAMPLE_KOMO_HUB_CONFIG, SAMPLE_SMS_GROUP } from '../../src/app/sample-records.js';
import type { DeepPartial, TributaryConfig } from '../../src/config/index.js';
import { boxSeconds, produceDataset, runTributary, type BenchContext } from '../lib/contest.js';
import { metricSum } from '../lib/processor.js';
import { fixed, int, verdict, type ScenarioResult } from '../lib/report.js';
import { startStack } from '../lib/stack.js';
import { sumValues } from '../lib/sandbox.js';

const TOPICS = {
  actioniqAudienceMembership: 'actioniq.audience-membership', actioniqUserAttributes: 'actioniq.user-attributes', actioniqEvents: 'actioniq.events',
  extoleEvents: 'extole.events', komoSubmissions: 'komo.submissions', quiklyActivations: 'quikly.activations',
};
const QUIKLY_SHARE = 0.01;

export async function mixedPartners(ctx: BenchContext): Promise<ScenarioResult> {
  const title = '6 Mixed partners';
  const records = ctx.quick ? 60_000 : 200_000;
  const users = 20_000;
  // Not a tuning: Komo submissions need their hub described, or every one of them is dead-lettered.
  const extra: DeepPartial<TributaryConfig> = { partners: { komo: { hubs: SAMPLE_KOMO_HUB_CONFIG } } };
  const stack = await startStack(ctx, { name: 's6-sandbox', partitions: 8, brazeLatencyMs: 100, brazeLimits: 'default', smsGroups: [SAMPLE_SMS_GROUP], processorExtra: extra });
  try {
    const p = await produceDataset(ctx, stack.sb, { kind: 'mixed', records, users, seed: 6, quiklyShare: QUIKLY_SHARE }, TOPICS, 's6-producer');
    const topics = Object.values(TOPICS);
    const m = await runTributary(ctx, 's6-tributary', {
      sb: stack.sb, kafka: stack.kafka,
      limits: { records, groupId: `bench-s6-${randomUUID().slice(0, 8)}`, topics, timeBoxS: boxSeconds(ctx, ctx.quick ? 5 : 40, 5), startTimeoutS: 60, stallS: 10 },
    }, { extra });
    const perRequest = m.objects.total / Math.max(1, m.requests.ok);
    const last = m.samples[m.window.j]!.counters;
    const k = { attributes: last.objects.attributes.received, events: last.objects.events.received, purchases: last.objects.purchases.received };
    const dead = m.metrics ? metricSum(m.metrics, 'tributary_records_dead_lettered_total') : NaN;
    const lookups = sumValues(last.byEndpoint['POST /users/export/ids'] ?? {});
    return {
      id: 6, title, flags: m.flags, sandboxShare: m.cpu.sandboxShare,
      parameters: [
        `${int(records)} records over ${topics.length} topics (Avro, keyed by user; ${int(users)} users, 8 partitions) from SampleRecordGenerator (ActionIQ 70 %, Extole 18 %, Komo 12 %, Quikly ${QUIKLY_SHARE * 100} % of records, none deliberately invalid), produced in ${fixed(p.seconds)} s`,
        `Braze sandbox: default limits, 100 ms, the sample SMS subscription group declared (--sms-group ${SAMPLE_SMS_GROUP}); tributary: defaults plus the sample Komo hub (partners.komo.hubs), without which Komo records are dead-lettered`,
        "Quikly's email look-ups go through /users/export/ids, whose default limit is 250 a minute, and its delayed subscription step waits 120 s by default: the run is time-boxed and counts what reached /users/track",
      ],
      rows: [
        {
          scenario: title, subject: 'tributary, defaults', metric: 'objects per /users/track request', value: fixed(perRequest),
          target: '≥ 73', verdict: verdict(perRequest >= 73),
          notes: `${int(m.objects.total)} objects (${int(k.attributes)} attributes, ${int(k.events)} events, ${int(k.purchases)} purchases) in ${int(m.requests.ok)} 2xx requests over ${fixed(m.window.seconds)} s (${m.ending}); ${int(m.committed)} of ${int(records)} records committed; dead letters ${Number.isNaN(dead) ? '?' : int(dead)}; /users/export/ids requests ${int(lookups)}`,
        },
      ],
    };
  } finally {
    await stack.close();
  }
}
