import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { DemoStack } from '../../../src/cli/demo-stack.js';
import { startReplay, type RunSummary } from '../../../src/app/replay.js';
import { createLogger } from '../../../src/observability/logger.js';
import { removeExternalResources, settled, startE2E } from '../../helpers/e2e.js';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const silent = createLogger({ level: 'silent' });

let stack: DemoStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
  await removeExternalResources();
});

/** Record i of a user-attributes topic at T0 + i minutes, for user u<i>, setting `n = i`. */
async function produceAttributes(s: DemoStack, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'replay-test', brokers: [...s.brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: s.config.topics.actioniqUserAttributes,
    messages: Array.from({ length: count }, (_, i) => ({
      key: `u${i}`,
      timestamp: String(T0 + i * 60_000),
      value: JSON.stringify({ external_id: `u${i}`, braze_id: null, attributes: { n: i }, updated_at: T0 + i * 60_000 }),
    })),
  });
  await producer.disconnect();
}

async function produceEvents(s: DemoStack, count: number): Promise<void> {
  const kafka = new Kafka({ clientId: 'replay-test', brokers: [...s.brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: s.config.topics.actioniqEvents,
    messages: Array.from({ length: count }, (_, i) => ({
      key: `e${i}`,
      timestamp: String(T0 + i * 60_000),
      value: JSON.stringify({ name: 'replayed', external_id: `e${i}`, braze_id: null, timestamp: T0 + i * 60_000, properties: { n: i } }),
    })),
  });
  await producer.disconnect();
}

/** The external ids and attribute values of every /users/track attributes object Braze received. */
function trackedAttributes(s: DemoStack): Array<{ id: unknown; n: unknown }> {
  const out: Array<{ id: unknown; n: unknown }> = [];
  for (const r of s.braze.state.requests({ path: '/users/track' })) {
    const body = r.requestBody as { attributes?: Array<Record<string, unknown>> };
    for (const a of body.attributes ?? []) out.push({ id: a.external_id, n: a.n });
  }
  return out.sort((a, b) => Number(a.n) - Number(b.n));
}

const trackedEvents = (s: DemoStack) =>
  s.braze.state.requests({ path: '/users/track' }).flatMap((r) => ((r.requestBody as { events?: unknown[] }).events ?? []) as Array<{ name: string }>);

async function groupOffsets(s: DemoStack, topics: string[]) {
  const admin = new Kafka({ clientId: 'replay-test', brokers: [...s.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: s.config.kafka.groupId, topics });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    return { offsets, groups };
  } finally {
    await admin.disconnect();
  }
}

describe('tributary replay', () => {
  it('delivers exactly the records of a time range, and leaves the live group and its offsets alone', async () => {
    stack = await startE2E({ partitions: 2 });
    await produceAttributes(stack, 10);
    await settled(stack, 10);
    const topic = stack.config.topics.actioniqUserAttributes;
    // The live group has committed everything it read.
    await new Promise((r) => setTimeout(r, 300));
    const before = await groupOffsets(stack, [topic]);
    await stack.braze.state.reset();

    // Minutes 3, 4, 5 and 6: from is inclusive, to exclusive.
    const replay = await startReplay(stack.config, {
      topic,
      from: { kind: 'time', ms: T0 + 3 * 60_000 },
      to: { kind: 'time', ms: T0 + 7 * 60_000 },
      skipEvents: true,
      logger: silent,
    });
    expect(replay.total).toBe(4);
    const summary: RunSummary = await replay.done;
    expect(summary).toMatchObject({ complete: true, total: 4, read: 4, delivered: 4, deadLettered: 0, skipped: 0, undelivered: 0 });
    expect(summary.requests).toBeGreaterThan(0);
    expect(trackedAttributes(stack)).toEqual([3, 4, 5, 6].map((n) => ({ id: `u${n}`, n })));
    expect(stack.braze.state.findProfile({ external_id: 'u3' })?.custom_attributes).toEqual({ n: 3 });
    expect(stack.braze.state.findProfile({ external_id: 'u2' })).toBeUndefined();

    const after = await groupOffsets(stack, [topic]);
    expect(after.offsets).toEqual(before.offsets);
    expect(before.offsets[0]!.partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0)).toBe(10);
    // The throw-away group is gone.
    expect(after.groups.filter((g) => g.includes('-ops-'))).toEqual([]);
  });

  it('reads one partition from an offset, and a duration start resolves against now', async () => {
    stack = await startE2E({ partitions: 1 });
    await produceAttributes(stack, 6);
    await settled(stack, 6);
    await stack.braze.state.reset();
    const topic = stack.config.topics.actioniqUserAttributes;
    const byOffset = await startReplay(stack.config, { topic, partitions: [0], from: { kind: 'offset', offset: 4n }, to: { kind: 'latest' }, skipEvents: true, logger: silent });
    expect(byOffset.ranges).toEqual([{ topic, partition: 0, start: 4n, end: 6n }]);
    expect((await byOffset.done).delivered).toBe(2);
    expect(trackedAttributes(stack)).toEqual([{ id: 'u4', n: 4 }, { id: 'u5', n: 5 }]);
    // Now is T0 + 2.5 min: one minute ago is T0 + 1.5 min, so the range starts at u2 (T0 + 2 min).
    const recent = await startReplay(stack.config, { topic, from: { kind: 'ago', ms: 60_000 }, to: { kind: 'latest' }, skipEvents: true, logger: silent, nowMs: T0 + 150_000 });
    expect(recent.ranges).toEqual([{ topic, partition: 0, start: 2n, end: 6n }]);
    await recent.done;
  });

  it('skips events and purchases by default and counts them; --events send sends them', async () => {
    stack = await startE2E({ partitions: 1 });
    await produceEvents(stack, 3);
    await settled(stack, 3);
    await stack.braze.state.reset();
    const topic = stack.config.topics.actioniqEvents;
    const safe = await (await startReplay(stack.config, { topic, from: { kind: 'earliest' }, to: { kind: 'latest' }, skipEvents: true, logger: silent })).done;
    expect(safe).toMatchObject({ complete: true, read: 3, eventsSkipped: 3, skipped: 3, delivered: 0, requests: 0 });
    expect(stack.braze.state.requests({}).length).toBe(0);

    const sent = await (await startReplay(stack.config, { topic, from: { kind: 'earliest' }, to: { kind: 'latest' }, skipEvents: false, logger: silent })).done;
    expect(sent).toMatchObject({ complete: true, read: 3, eventsSkipped: 0, delivered: 3 });
    expect(trackedEvents(stack).map((e) => e.name)).toEqual(['replayed', 'replayed', 'replayed']);
  });

  it('a dry run writes the exact request bodies and sends nothing to Braze', async () => {
    stack = await startE2E({ partitions: 1 });
    await produceAttributes(stack, 3);
    await settled(stack, 3);
    await stack.braze.state.reset();
    const lines: string[] = [];
    const topic = stack.config.topics.actioniqUserAttributes;
    const summary = await (await startReplay(stack.config, { topic, from: { kind: 'earliest' }, to: { kind: 'latest' }, skipEvents: true, dryRun: (l) => lines.push(l), logger: silent })).done;
    expect(stack.braze.state.requests({}).length).toBe(0);
    const requests = lines.map((l) => JSON.parse(l) as { endpoint: string; method: string; body: { attributes: Array<Record<string, unknown>> } });
    expect(requests.every((r) => r.endpoint === '/users/track' && r.method === 'POST')).toBe(true);
    const objects = requests.flatMap((r) => r.body.attributes);
    expect(objects.map((a) => [a.external_id, a.n])).toEqual([['u0', 0], ['u1', 1], ['u2', 2]]);
    expect(summary.dryRun).toEqual({ requests: requests.length, objects: 3, dataPoints: 3 });
    expect(summary).toMatchObject({ delivered: 3, deadLettered: 0 });
  });
});
