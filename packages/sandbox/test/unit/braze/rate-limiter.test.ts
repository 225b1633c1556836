import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, RateLimiter, rateLimitHeaders } from '../../../src/braze/rate-limiter.js';

describe('RateLimiter', () => {
  const limits = { ...DEFAULT_RATE_LIMITS, 'users.track': { limit: 2, windowMs: 1000 } };

  it('allows the limit within a window and refuses the rest', () => {
    const limiter = new RateLimiter(limits);
    expect(limiter.take('users.track', 0).allowed).toBe(true);
    expect(limiter.take('users.track', 10).remaining).toBe(0);
    expect(limiter.take('users.track', 20).allowed).toBe(false);
    expect(limiter.take('users.track', 1000).allowed).toBe(true);
  });

  it('does not count a peek', () => {
    const limiter = new RateLimiter(limits);
    limiter.peek('users.track', 0);
    expect(limiter.take('users.track', 0).remaining).toBe(1);
  });

  it('formats epoch and MAU headers', () => {
    const decision = { allowed: true, limit: 10, remaining: 4, resetAtMs: 1_700_000_060_000 };
    expect(rateLimitHeaders(decision, 'epoch', 1_700_000_000_000, false))
      .toEqual({ 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '4', 'X-RateLimit-Reset': '1700000060' });
    expect(rateLimitHeaders(decision, 'mau', 1_700_000_000_000, false))
      .toEqual({ 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '4', 'X-RateLimit-Reset': '60' });
    expect(rateLimitHeaders(decision, 'mau', 1_700_000_000_000, true)).toEqual({ 'X-Ratelimit-Retry-After': '60' });
  });
});
