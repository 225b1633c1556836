import { describe, it, expect } from 'vitest';
import { RateBudget, parseRateLimitHeaders } from '../../../src/core/rate-budget.js';
import { TributaryError } from '../../../src/core/errors.js';

/** A header getter that, like a plain object lookup, only answers to the exact spelling it holds. */
const exact = (headers: Record<string, string>) => (name: string) => headers[name];

/** Largest number of grants inside any half-open interval [t, t + windowMs). */
function maxInAnyWindow(grants: number[], windowMs: number): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let max = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi] - sorted[lo] >= windowMs) lo++;
    max = Math.max(max, hi - lo + 1);
  }
  return max;
}

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

describe('parseRateLimitHeaders', () => {
  const now = 1_700_000_000_000;

  it('reads Reset as epoch seconds when it is that large', () => {
    const info = parseRateLimitHeaders(
      exact({ 'X-RateLimit-Limit': '3000', 'X-RateLimit-Remaining': '2990', 'X-RateLimit-Reset': '1700000002' }),
      now,
    );
    expect(info).toEqual({ limit: 3000, remaining: 2990, resetAtMs: 1_700_000_002_000 });
  });

  it('reads Reset as seconds from now when it is small (MAU plans)', () => {
    const info = parseRateLimitHeaders(exact({ 'x-ratelimit-limit': '100000', 'x-ratelimit-remaining': '5', 'x-ratelimit-reset': '120' }), now);
    expect(info).toEqual({ limit: 100_000, remaining: 5, resetAtMs: now + 120_000 });
  });

  it('reads X-Ratelimit-Retry-After on a 429 in seconds', () => {
    expect(parseRateLimitHeaders(exact({ 'X-Ratelimit-Retry-After': '7' }), now)).toEqual({ retryAfterMs: 7000 });
    expect(parseRateLimitHeaders(exact({ 'x-ratelimit-retry-after': '2' }), now)).toEqual({ retryAfterMs: 2000 });
  });

  it('finds headers whatever the spelling the getter knows', () => {
    for (const name of ['x-ratelimit-remaining', 'X-RateLimit-Remaining', 'X-Ratelimit-Remaining']) {
      expect(parseRateLimitHeaders(exact({ [name]: '3' }), now)).toEqual({ remaining: 3 });
    }
  });

  it('falls back to a generic Retry-After in seconds or as an HTTP date', () => {
    expect(parseRateLimitHeaders(exact({ 'retry-after': '3' }), now)).toEqual({ retryAfterMs: 3000 });
    const date = new Date(now + 10_000).toUTCString();
    expect(parseRateLimitHeaders(exact({ 'Retry-After': date }), now)).toEqual({ retryAfterMs: 10_000 });
    expect(parseRateLimitHeaders(exact({ 'X-Ratelimit-Retry-After': '1', 'retry-after': '9' }), now)).toEqual({ retryAfterMs: 1000 });
  });

  it('ignores values that are not numbers and takes the first of repeated values', () => {
    expect(parseRateLimitHeaders(exact({ 'x-ratelimit-remaining': 'many', 'x-ratelimit-reset': '-5', 'x-ratelimit-limit': '' }), now)).toEqual({});
    expect(parseRateLimitHeaders(exact({ 'x-ratelimit-remaining': '10, 10' }), now)).toEqual({ remaining: 10 });
    expect(parseRateLimitHeaders(() => undefined, now)).toEqual({});
  });
});

describe('RateBudget', () => {
  it('never grants more than the limit in any window, however it is asked', () => {
    const budget = new RateBudget({ limit: 50, windowMs: 1000 });
    const random = lcg(3);
    const grants: number[] = [];
    let now = 0;
    while (now < 20_000) {
      now += Math.floor(random() * 30);
      const burst = Math.floor(random() * 20);
      for (let i = 0; i < burst; i++) if (budget.tryAcquire(now) === 0) grants.push(now);
    }
    expect(maxInAnyWindow(grants, 1000)).toBeLessThanOrEqual(50);
    // ...and it is not needlessly stingy: close to 50 per second over the run.
    expect(grants.length).toBeGreaterThan(50 * 19);
  });

  it('lets a client that sleeps for the returned wait use the whole budget and no more', () => {
    const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
    const grants: number[] = [];
    let now = 0;
    while (now < 30_000) {
      const wait = budget.tryAcquire(now);
      if (wait === 0) grants.push(now);
      else {
        expect(wait).toBeGreaterThanOrEqual(1);
        now += wait;
      }
    }
    expect(maxInAnyWindow(grants, 3000)).toBe(3000);
    expect(grants.length).toBe(30_000);
  });

  it('splits the workspace budget between instances by share', () => {
    const instances = [1, 2, 3, 4].map(() => new RateBudget({ limit: 100, windowMs: 1000, share: 0.25 }));
    expect(instances[0].capacity).toBe(25);
    const grants: number[] = [];
    for (let now = 0; now < 10_000; now += 7) {
      for (const b of instances) while (b.tryAcquire(now) === 0) grants.push(now);
    }
    expect(maxInAnyWindow(grants, 1000)).toBeLessThanOrEqual(100);
  });

  it('stretches the window when a share is worth less than one request per window', () => {
    const budget = new RateBudget({ limit: 250, windowMs: 60_000, share: 1 / 1000 });
    expect(budget.capacity).toBe(1);
    expect(budget.windowMs).toBe(240_000);
    expect(budget.tryAcquire(0)).toBe(0);
    expect(budget.tryAcquire(1)).toBe(239_999);
    expect(budget.tryAcquire(240_000)).toBe(0);
  });

  it('keeps counting recent requests when the share shrinks', () => {
    const budget = new RateBudget({ limit: 10, windowMs: 1000 });
    for (let i = 0; i < 10; i++) expect(budget.tryAcquire(i)).toBe(0);
    budget.setShare(0.5);
    expect(budget.share).toBe(0.5);
    expect(budget.capacity).toBe(5);
    expect(budget.tryAcquire(100)).toBe(905);
    expect(budget.tryAcquire(1005)).toBe(0);
  });

  it('lets more through at once when the share grows', () => {
    const budget = new RateBudget({ limit: 10, windowMs: 1000, share: 0.5 });
    for (let i = 0; i < 5; i++) budget.tryAcquire(0);
    expect(budget.tryAcquire(0)).toBeGreaterThan(0);
    budget.setShare(1);
    for (let i = 0; i < 5; i++) expect(budget.tryAcquire(0)).toBe(0);
    expect(budget.tryAcquire(0)).toBe(1000);
  });

  it('refuses shares outside (0, 1] and nonsensical limits', () => {
    expect(() => new RateBudget({ limit: 10, windowMs: 1000, share: 0 })).toThrow(TributaryError);
    expect(() => new RateBudget({ limit: 10, windowMs: 1000, share: 1.5 })).toThrow(TributaryError);
    expect(() => new RateBudget({ limit: 0, windowMs: 1000 })).toThrow(TributaryError);
    expect(() => new RateBudget({ limit: 10, windowMs: 0 })).toThrow(TributaryError);
    expect(() => new RateBudget({ limit: 10, windowMs: 1000 }).setShare(Number.NaN)).toThrow(TributaryError);
  });

  describe('response headers', () => {
    it('pauses until the reset when remaining reaches 0', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      budget.observe({ remaining: 0, resetAtMs: 2500 }, 1000);
      expect(budget.pausedUntilMs).toBe(2500);
      expect(budget.tryAcquire(1000)).toBe(1500);
      expect(budget.tryAcquire(2499)).toBe(1);
      expect(budget.tryAcquire(2500)).toBe(0);
    });

    it('spreads a low remaining evenly until the reset', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      budget.observe({ remaining: 10, resetAtMs: 2000 }, 1000);
      expect(budget.tryAcquire(1000)).toBe(0);
      expect(budget.tryAcquire(1000)).toBe(100);
      expect(budget.tryAcquire(1100)).toBe(0);
      // After the reset the pacing no longer applies.
      expect(budget.tryAcquire(2000)).toBe(0);
      expect(budget.tryAcquire(2000)).toBe(0);
    });

    it('spreads only this instance\'s share of the remaining budget', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000, share: 0.5 });
      budget.observe({ remaining: 10, resetAtMs: 1000 }, 0);
      expect(budget.tryAcquire(0)).toBe(0);
      expect(budget.tryAcquire(0)).toBe(200);
    });

    it('does not slow down while plenty remains, and drops a slowdown once room is back', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      budget.observe({ remaining: 2900, resetAtMs: 1500 }, 0);
      expect(budget.tryAcquire(0)).toBe(0);
      expect(budget.tryAcquire(0)).toBe(0);
      budget.observe({ remaining: 5, resetAtMs: 1000 }, 0);
      expect(budget.tryAcquire(0)).toBeGreaterThan(0);
      budget.observe({ remaining: 3000, resetAtMs: 3000 }, 1);
      expect(budget.tryAcquire(1)).toBe(0);
    });

    it('does not pace on headers that only restate its own use (a reset rounded up to whole seconds looks later than it is)', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      for (let i = 0; i < 130; i++) expect(budget.tryAcquire(0)).toBe(0);
      // Braze counted exactly our 130 and rounds its reset up: 2,870 left "in 3.9 s" would pace at 1.36 ms.
      budget.observe({ remaining: 2870, resetAtMs: 3900 }, 100);
      for (let i = 0; i < 50; i++) expect(budget.tryAcquire(100)).toBe(0);
      // Someone else spent most of the window: now it paces.
      budget.observe({ remaining: 500, resetAtMs: 3900 }, 100);
      expect(budget.tryAcquire(100)).toBeGreaterThan(0);
    });

    it('ignores headers that say nothing usable', () => {
      const budget = new RateBudget({ limit: 10, windowMs: 1000 });
      budget.observe({ limit: 10 }, 0);
      budget.observe({ remaining: 0 }, 0);
      budget.observe({ remaining: 0, resetAtMs: -5 }, 0);
      expect(budget.pausedUntilMs).toBe(0);
      expect(budget.tryAcquire(0)).toBe(0);
    });

    it('caps a pause asked for by an implausible reset', () => {
      const budget = new RateBudget({ limit: 10, windowMs: 1000, maxPauseMs: 60_000 });
      budget.observe({ remaining: 0, resetAtMs: 10_000_000_000 }, 0);
      expect(budget.pausedUntilMs).toBe(60_000);
    });
  });

  describe('429', () => {
    it('pauses for X-Ratelimit-Retry-After', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      const info = parseRateLimitHeaders(exact({ 'X-Ratelimit-Retry-After': '5' }), 1000);
      budget.on429(info, 1000);
      expect(budget.pausedUntilMs).toBe(6000);
      expect(budget.tryAcquire(1000)).toBe(5000);
    });

    it('pauses until an epoch-seconds reset', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      const now = 1_700_000_000_500;
      const info = parseRateLimitHeaders(exact({ 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': '1700000002' }), now);
      budget.observe(info, now);
      budget.on429(info, now);
      expect(budget.pausedUntilMs).toBe(1_700_000_002_000);
    });

    it('pauses until a seconds-from-now reset', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      budget.on429(parseRateLimitHeaders(exact({ 'x-ratelimit-reset': '2' }), 500), 500);
      expect(budget.pausedUntilMs).toBe(2500);
    });

    it('backs off exponentially when a 429 says nothing, and starts over after a quiet spell', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      budget.on429({}, 0);
      expect(budget.pausedUntilMs).toBe(1000);
      budget.on429({}, 1000);
      expect(budget.pausedUntilMs).toBe(3000);
      budget.on429({}, 3000);
      expect(budget.pausedUntilMs).toBe(7000);
      budget.on429({}, 100_000);
      expect(budget.pausedUntilMs).toBe(101_000);
    });

    it('caps the exponential pause', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000, max429PauseMs: 5000 });
      let now = 0;
      for (let i = 0; i < 10; i++) {
        budget.on429({}, now);
        now = budget.pausedUntilMs;
      }
      const before = budget.pausedUntilMs;
      budget.on429({}, before);
      expect(budget.pausedUntilMs - before).toBe(5000);
    });

    it('does not stack pauses when many in-flight requests come back 429 together', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      for (let i = 0; i < 50; i++) budget.on429({}, 10 + i);
      expect(budget.pausedUntilMs).toBe(1010);
      for (let i = 0; i < 50; i++) budget.on429({ retryAfterMs: 2000 }, 20);
      expect(budget.pausedUntilMs).toBe(2020);
    });

    it('never shortens a pause already in force', () => {
      const budget = new RateBudget({ limit: 3000, windowMs: 3000 });
      budget.on429({ retryAfterMs: 10_000 }, 0);
      budget.on429({ retryAfterMs: 1000 }, 100);
      budget.observe({ remaining: 0, resetAtMs: 500 }, 100);
      expect(budget.pausedUntilMs).toBe(10_000);
    });

    it('keeps the window limit after a pause ends, so a backlog does not burst past it', () => {
      const budget = new RateBudget({ limit: 20, windowMs: 1000 });
      const grants: number[] = [];
      let now = 0;
      for (; now < 500; now++) if (budget.tryAcquire(now) === 0) grants.push(now);
      budget.on429({ retryAfterMs: 300 }, now);
      for (; now < 5000; now++) while (budget.tryAcquire(now) === 0) grants.push(now);
      expect(grants.filter((g) => g >= 500 && g < 800)).toEqual([]);
      expect(maxInAnyWindow(grants, 1000)).toBeLessThanOrEqual(20);
    });
  });
});
