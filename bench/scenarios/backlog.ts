/**
 * Scenario 4, backlog memory: millions of records already waiting when the processor starts; its peak RSS
 * (VmHWM) while it drains them against Braze's default limits at 100 ms.
 */
import { randomUUID } from 'node:crypto';
import { boxSeconds, produceDataset, runTributary, type BenchContext } from '../lib/contest.js';
import { memStatus } from '../lib/procs.js';
import { fixed, int, pct, verdict, type ScenarioResult } from '../lib/report.js';
import { checkHeld, startStack } from '../lib/stack.js';

const TOPIC = 'actioniq.audience-membership';
const TARGET_MB = 300;

export async function backlog(ctx: BenchContext): Promise<ScenarioResult> {
  const title = '4 Backlog memory';
  const records = ctx.quick ? 1_000_000 : 5_000_000;
  const users = 1_000_000;
  const partitions = 8;
  const stack = await startStack(ctx, { name: 's4-sandbox', partitions, brazeLatencyMs: 100, brazeLimits: 'default' });
  try {
    ctx.log(`  producing ${int(records)} records…`);
    const p = await produceDataset(ctx, stack.sb, { kind: 'membership', records, users, seed: 4 }, { actioniqAudienceMembership: TOPIC }, 's4-producer');
    // The sandbox broker keeps them in memory, capped per partition by its retention (256 MiB by default):
    // every record must still be there, from offset 0.
    await checkHeld(stack.kafka, TOPIC, records);
    const brokerRss = memStatus(stack.sb.child.pid)?.rss ?? 0;
    const box = boxSeconds(ctx, ctx.quick ? 6 : 90, ctx.quick ? 25 : 100);
    const m = await runTributary(ctx, 's4-tributary', {
      sb: stack.sb, kafka: stack.kafka,
      limits: { records, groupId: `bench-s4-${randomUUID().slice(0, 8)}`, topics: [TOPIC], timeBoxS: box, startTimeoutS: 60 },
    });
    const mb = m.peakRss / 1e6;
    const drained = m.ending === 'finished' ? records : m.committed;
    return {
      id: 4, title, flags: m.flags, sandboxShare: m.cpu.sandboxShare,
      parameters: [
        `${int(records)} actioniq.audience-membership records (${int(users)} users, ${partitions} partitions) produced before the processor starts (${fixed(p.seconds)} s, ${int(p.produced / p.seconds)} records/s: ${ctx.pinned ? 'a producer process on each core' : 'two producer processes'}, 5,000 records per send, 4 sends in flight each); offsets checked: all held from offset 0 (the sandbox broker's per-partition retention is 256 MiB; its RSS was ${fixed(brokerRss / 1e6, 0)} MB)`,
        "Braze sandbox: Braze's default limits, 100 ms latency",
        `drained for at most ${fixed(box, 0)} s after the first object${m.ending === 'finished' ? '' : ' (then stopped: the peak is reached long before)'}`,
      ],
      rows: [
        { scenario: title, subject: 'tributary, defaults', metric: 'processor peak RSS (VmHWM) while draining', value: `${fixed(mb, 0)} MB`, target: `≤ ${TARGET_MB} MB`, verdict: verdict(mb <= TARGET_MB), notes: `${int(records)} records waiting; ${m.ending === 'finished' ? 'all drained' : `${int(drained)} committed, ${int(m.objects.total)} objects delivered in ${fixed(m.window.seconds)} s (${m.ending})`}` },
        { scenario: title, subject: 'tributary, defaults', metric: 'objects/s while draining', value: int(m.objects.overall), notes: `processor ${pct(m.cpu.procShare)} of core 0; sandbox ${pct(m.cpu.sandboxShare)} of core 1` },
      ],
    };
  } finally {
    await stack.close();
  }
}
