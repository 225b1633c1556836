import { describe, expect, it } from 'vitest';
import { clientsClosedAfterEach } from './helpers.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('Braze sandbox event ages (GET /_sandbox/counters eventAgeMs)', () => {
  const start = clientsClosedAfterEach();

  for (const lean of [false, true]) {
    it(`records answer time − event time for each accepted event, with percentiles (${lean ? 'lean' : 'normal'} mode)`, async () => {
      let nowMs = Date.UTC(2024, 4, 1, 12, 0, 0);
      const c = await start({ lean, now: () => nowMs });
      // 100 events aged 1 to 100 ms, then 10 of 5 s.
      const events = Array.from({ length: 100 }, (_, i) => ({ external_id: `u${i % 7}`, name: 'seen', time: iso(nowMs - (i + 1)) }));
      expect((await c.track({ events: events.slice(0, 60) })).status).toBe(201);
      expect((await c.track({ events: events.slice(60) })).status).toBe(201);
      await c.track({ events: Array.from({ length: 10 }, () => ({ external_id: 'late', name: 'seen', time: iso(nowMs - 5000) })) });
      // Not counted: per-object errors, fatal answers, attributes.
      await c.track({ events: [{ external_id: 'x', name: 'seen' }, { external_id: 'x', time: iso(nowMs) }], attributes: [{ external_id: 'x' }] });
      await c.track({ events: 'not an array' });
      await c.post('/users/track', { events: [{ external_id: 'x', name: 'e', time: iso(nowMs) }] }, { key: 'wrong' });

      const ages = (await c.control('GET', '/counters')).body.eventAgeMs;
      expect(ages.count).toBe(110);
      expect(ages.min).toBe(1);
      expect(ages.max).toBe(5000);
      expect(ages.sum).toBe(5050 + 50_000);
      expect(ages.p50).toBeGreaterThanOrEqual(50);
      expect(ages.p50).toBeLessThanOrEqual(60);
      // Inside the bucket (4500, 5000].
      expect(ages.p95).toBeGreaterThan(4500);
      expect(ages.p99).toBeLessThanOrEqual(5000);
      expect(ages.buckets.at(-1)).toEqual({ le: 5000, count: 10 });
      expect(ages.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(110);

      // A future event time gives a negative age, kept in the first bucket (with the age of 1 ms).
      nowMs += 1000;
      await c.track({ events: [{ external_id: 'u1', name: 'seen', time: iso(nowMs + 60_000) }] });
      const after = c.sandbox.state.counters().eventAgeMs;
      expect(after.min).toBe(-60_000);
      expect(after.buckets[0]).toEqual({ le: 1, count: 2 });

      expect((await c.control('POST', '/reset')).status).toBe(200);
      expect((await c.control('GET', '/counters')).body.eventAgeMs).toEqual({
        count: 0, sum: 0, min: null, max: null, p50: null, p95: null, p99: null, buckets: [],
      });
    });
  }

  it('takes the age when the answer is sent, after the configured latency', async () => {
    const c = await start({ lean: true, latencyMs: 60 });
    expect((await c.track({ events: [{ external_id: 'u1', name: 'seen', time: iso(Date.now()) }] })).status).toBe(201);
    const ages = c.sandbox.state.counters().eventAgeMs;
    expect(ages.count).toBe(1);
    // Timers may fire a millisecond early, and event times carry whole milliseconds.
    expect(ages.min).toBeGreaterThanOrEqual(58);
  });
});
