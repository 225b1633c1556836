import { describe, expect, it } from 'vitest';
import { PipelineEngine, type BatchControl } from '../../../src/pipeline/engine.js';
import { NOOP_OBSERVER, type RawRecord } from '../../../src/core/ports.js';
import { RecordDecoder } from '../../../src/adapters/schema-registry/record-decoder.js';
import { defaultPartnerOptions, topicHandler } from '../../../src/partners/index.js';
import { FakeBrazeTransport } from '../../helpers/fake-braze.js';
import { FakeClock, settle } from '../../helpers/fake-clock.js';

const TOPIC = 'actioniq.audience-membership';
const FAST = { limit: 1_000_000, windowMs: 1000 };

const record = (partition: number, offset: number, user: string): RawRecord => ({
  topic: TOPIC, partition, offset: String(offset), key: Buffer.from(user), headers: {}, timestampMs: 0,
  value: Buffer.from(JSON.stringify({ audience_id: '1', split_id: 'A', member: true, external_id: user, updated_at: 1_700_000_000_000 })),
});

const control: BatchControl = { resolveOffset() {}, heartbeat: async () => {}, isActive: () => true };

function engineWith(clock: FakeClock, braze: FakeBrazeTransport) {
  return new PipelineEngine({
    topics: new Map([[TOPIC, topicHandler('actioniq.audience-membership', defaultPartnerOptions())]]),
    decoder: new RecordDecoder({ registryUrl: null }),
    deadLetters: { write: async () => {} },
    committer: { commit: async () => {} },
    braze: {
      transport: braze,
      track: { mode: 'combined', maxObjects: 75, maxBytes: 1_000_000, lingerMs: 0 },
      retry: { maxAttempts: 5, baseMs: 1, maxMs: 5 },
      rates: { track: FAST, exportIds: FAST, subscriptionGet: FAST, subscriptionSet: FAST },
      rateShare: 1,
      maxConcurrentRequests: 4,
      identity: { maxEntries: 10, foundTtlMs: 1000, notFoundTtlMs: 1000 },
      ambiguityWindowMs: 3000,
    },
    maxInFlightOps: 1000,
    commitIntervalMs: 60_000,
    clock,
    random: () => 0.5,
    observer: NOOP_OBSERVER,
    log: { info() {}, warn() {}, error() {} },
  });
}

describe('a partition taken over from another member', () => {
  it('waits out the ambiguity window after the assignment before its first send; a partition kept from the previous generation does not', async () => {
    const clock = new FakeClock();
    const braze = new FakeBrazeTransport();
    const engine = engineWith(clock, braze);
    engine.onAssignment();
    await engine.handleBatch(TOPIC, 0, [record(0, 0, 'a')], control);
    await clock.advance(2999);
    expect(braze.requests).toHaveLength(0);
    await clock.advance(1);
    await settle();
    expect(braze.objects().map((o) => o.object.external_id)).toEqual(['a']);

    // Next generation: partition 0 was read before, partition 1 is new to this member.
    engine.onAssignment();
    await engine.handleBatch(TOPIC, 0, [record(0, 1, 'b')], control);
    await engine.handleBatch(TOPIC, 1, [record(1, 0, 'c')], control);
    await clock.advance(0);
    await settle();
    expect(braze.objects().map((o) => o.object.external_id)).toEqual(['a', 'b']);
    await clock.advance(3000);
    await settle();
    expect(braze.objects().map((o) => o.object.external_id)).toEqual(['a', 'b', 'c']);
  });
});
