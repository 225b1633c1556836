import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { PipelineEngine, type BatchControl } from '../../../src/pipeline/engine.js';
import { systemClock } from '../../../src/adapters/system-clock.js';
import { defaultPartnerOptions, topicHandler } from '../../../src/partners/index.js';
import { RecordDecoder } from '../../../src/adapters/schema-registry/record-decoder.js';
import type { RawRecord } from '../../../src/core/ports.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { metricsObserver } from '../../../src/app/metrics-observer.js';
import { FakeBrazeTransport } from '../../helpers/fake-braze.js';

const TOPIC = 'actioniq.events';
const FAST = { limit: 1_000_000, windowMs: 1000 };

function event(partition: number, offset: number, user: string): RawRecord {
  return {
    topic: TOPIC,
    partition,
    offset: String(offset),
    key: Buffer.from(user),
    value: Buffer.from(JSON.stringify({ name: 'e', external_id: user, timestamp: 1_700_000_000_000 + offset, properties: {} })),
    headers: {},
    timestampMs: Date.now(),
  };
}

function setup(transport: FakeBrazeTransport) {
  const registry = new Registry();
  const metrics = createMetrics(registry, { defaultMetrics: false });
  const engine = new PipelineEngine({
    topics: new Map([[TOPIC, topicHandler('actioniq.events', defaultPartnerOptions())]]),
    decoder: new RecordDecoder({ registryUrl: null }),
    deadLetters: { write: async () => {} },
    committer: { commit: async () => {} },
    braze: {
      transport,
      track: { mode: 'combined', maxObjects: 75, maxBytes: 1_000_000, lingerMs: 0 },
      retry: { maxAttempts: 5, baseMs: 1, maxMs: 5 },
      rates: { track: FAST, exportIds: FAST, subscriptionGet: FAST, subscriptionSet: FAST },
      rateShare: 1,
      maxConcurrentRequests: 4,
      identity: { maxEntries: 10, foundTtlMs: 60_000, notFoundTtlMs: 60_000 },
    },
    maxInFlightOps: 10_000,
    commitIntervalMs: 60_000,
    clock: systemClock,
    random: () => 0.5,
    observer: metricsObserver(metrics),
    log: { info() {}, warn() {}, error() {} },
  });
  const control: BatchControl = { resolveOffset() {}, heartbeat: async () => {}, isActive: () => true };
  engine.onAssignment();
  /** The lag series as Prometheus would scrape them, by "topic/partition". */
  const lag = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const v of (await metrics.consumerLag.get()).values) out[`${v.labels.topic}/${v.labels.partition}`] = v.value;
    return out;
  };
  return { engine, control, lag };
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('tributary_consumer_lag', () => {
  it('is the log end minus the committed offset, not minus the last fetched one', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const braze = new FakeBrazeTransport(async () => {
      await held;
      return { status: 201 };
    });
    const { engine, control, lag } = setup(braze);
    // Fetched from offset 10 (where the group resumes) with the log ending at 20: nothing is committed past 10.
    await engine.handleBatch(TOPIC, 0, [10, 11, 12, 13, 14].map((o) => event(0, o, `u${o}`)), control, '20');
    expect(await lag()).toEqual({ [`${TOPIC}/0`]: 10 });
    await engine.commitNow(); // nothing delivered yet: nothing to commit, the lag stays
    expect(await lag()).toEqual({ [`${TOPIC}/0`]: 10 });
    release();
    await until(() => engine.opsInFlight === 0);
    await engine.commitNow(); // committed 15 of a log ending at 20
    expect(await lag()).toEqual({ [`${TOPIC}/0`]: 5 });
    // The log grew to 30 while the committed offset is still 15.
    await engine.handleBatch(TOPIC, 0, [event(0, 15, 'u15')], control, '30');
    expect(await lag()).toEqual({ [`${TOPIC}/0`]: 15 });
    await until(() => engine.opsInFlight === 0);
    await engine.commitNow();
    expect(await lag()).toEqual({ [`${TOPIC}/0`]: 14 });
  });

  it('forgets the partitions of the previous assignment, so a revoked partition reports nothing', async () => {
    const { engine, control, lag } = setup(new FakeBrazeTransport());
    await engine.handleBatch(TOPIC, 0, [event(0, 0, 'a')], control, '5');
    await engine.handleBatch(TOPIC, 1, [event(1, 3, 'b')], control, '4');
    expect(await lag()).toEqual({ [`${TOPIC}/0`]: 5, [`${TOPIC}/1`]: 1 });
    await until(() => engine.opsInFlight === 0);
    engine.onAssignment(); // partition 0 moved to another member; 1 stays here
    expect(await lag()).toEqual({});
    // Work of the previous generation commits nothing and reports no lag.
    await engine.commitNow();
    expect(await lag()).toEqual({});
    await engine.handleBatch(TOPIC, 1, [event(1, 4, 'c')], control, '6');
    expect(await lag()).toEqual({ [`${TOPIC}/1`]: 2 });
  });
});
