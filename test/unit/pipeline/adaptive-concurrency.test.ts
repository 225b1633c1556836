import { describe, expect, it } from 'vitest';
import { SinkRunner } from '../../../src/pipeline/sink-runner.js';
import { usersTrackSink } from '../../../src/core/sinks/users-track.js';
import { NOOP_OBSERVER, type BrazeHttpResponse } from '../../../src/core/ports.js';
import { FakeClock } from '../../helpers/fake-clock.js';

/** Answers every request after `latencyMs` of fake time with `status`; counts requests in flight. */
class TimedTransport {
  inFlight = 0;
  peak = 0;
  sent = 0;
  status = 201;
  constructor(private readonly clock: FakeClock, public latencyMs: number) {}

  post(): Promise<BrazeHttpResponse> {
    this.inFlight++;
    this.sent++;
    this.peak = Math.max(this.peak, this.inFlight);
    const status = this.status;
    return new Promise((resolve) => {
      this.clock.setTimeout(() => {
        this.inFlight--;
        resolve({ status, body: status < 300 ? { message: 'success' } : { message: 'unavailable' }, headers: () => undefined });
      }, this.latencyMs);
    });
  }

  get(): Promise<BrazeHttpResponse> {
    return this.post();
  }
}

function setup(latencyMs: number, rate: { limit: number; windowMs: number }, maxConcurrentRequests: number) {
  const clock = new FakeClock();
  const transport = new TimedTransport(clock, latencyMs);
  let delivered = 0;
  const limits: number[] = [];
  const runner = new SinkRunner<{ n: number }>({
    transport,
    retry: { maxAttempts: 1_000, baseMs: 10, maxMs: 10 },
    rateShare: 1,
    sinks: [{ policy: usersTrackSink({ mode: 'combined', maxObjects: 75, maxBytes: 1_000_000, lingerMs: 5 }), rate, maxConcurrentRequests }],
    clock,
    random: () => 0.5,
    observer: { ...NOOP_OBSERVER, requestConcurrency: (_endpoint, limit) => void limits.push(limit) },
    isCurrent: () => true,
    onOutcome: (_t, _op, outcome) => {
      if (outcome.delivered) delivered++;
    },
  });
  /** Queues `requests` full requests' worth of ops, each of another user. */
  const load = (requests: number) => {
    for (let i = 0; i < requests * 75; i++) {
      runner.push({ kind: 'track.attributes', user: { external_id: `u${i}` }, attributes: { AIQ_1_1: true } }, { n: i });
    }
  };
  return { clock, transport, runner, load, limits, delivered: () => delivered };
}

describe('adaptive request concurrency', () => {
  it('keeps as many requests in flight as the rate budget can use at the observed latency (Little\'s law)', async () => {
    // 1,000 requests/s at 100 ms: about 100 must be in flight; the ceiling (256) is not the limit.
    const t = setup(100, { limit: 3000, windowMs: 3000 }, 256);
    t.load(600);
    await t.clock.advance(1000);
    expect(t.transport.peak).toBeGreaterThanOrEqual(100);
    expect(t.transport.peak).toBeLessThanOrEqual(140);
    // Reported as it changes (tributary_braze_concurrency_limit): from the starting 8 up to about 126.
    expect(t.limits[0]).toBe(8);
    expect(Math.max(...t.limits)).toBeGreaterThanOrEqual(120);
    await t.clock.advance(10_000);
    expect(t.delivered()).toBe(600 * 75);
  });

  it('starts small before any latency is known, and never exceeds the configured ceiling', async () => {
    const t = setup(100, { limit: 3000, windowMs: 3000 }, 24);
    t.load(100);
    await t.clock.advance(50);
    expect(t.transport.inFlight).toBe(8);
    await t.clock.advance(2000);
    expect(t.transport.peak).toBe(24);
  });

  it('needs fewer requests in flight when Braze answers faster', async () => {
    const t = setup(10, { limit: 3000, windowMs: 3000 }, 256);
    t.load(300);
    await t.clock.advance(1000);
    // 1 request/ms x 10 ms x 1.25 + 1 = 14.
    expect(t.transport.peak).toBeLessThanOrEqual(14);
    expect(t.transport.peak).toBeGreaterThanOrEqual(8);
  });

  it('halves what it sends after failed requests, down to 8, and grows back once answers return', async () => {
    const t = setup(100, { limit: 3000, windowMs: 3000 }, 256);
    t.load(4000);
    await t.clock.advance(1000);
    expect(t.transport.inFlight).toBeGreaterThanOrEqual(100);
    t.transport.status = 503;
    await t.clock.advance(300);
    t.transport.peak = 0;
    await t.clock.advance(300);
    expect(t.transport.peak).toBeLessThanOrEqual(8);
    t.transport.status = 201;
    // Each answer grows the window by one, so it doubles per round trip: back above 100 within a second.
    t.transport.peak = 0;
    await t.clock.advance(1500);
    expect(t.transport.peak).toBeGreaterThanOrEqual(100);
  });
});
