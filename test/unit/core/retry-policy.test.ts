import { describe, it, expect } from 'vitest';
import { backoffMs, canRetry, validateRetryPolicy, type RetryPolicy } from '../../../src/core/retry-policy.js';
import { TributaryError } from '../../../src/core/errors.js';

const policy: RetryPolicy = { maxAttempts: 5, baseMs: 100, maxMs: 5000 };
const fixed = (r: number) => () => r;

describe('backoffMs', () => {
  it('waits nothing when the random draw is 0', () => {
    expect(backoffMs(1, policy, fixed(0))).toBe(0);
    expect(backoffMs(7, policy, fixed(0))).toBe(0);
  });

  it('stays below a ceiling that doubles with every attempt', () => {
    const almostOne = fixed(0.999999);
    expect(backoffMs(1, policy, almostOne)).toBe(99);
    expect(backoffMs(2, policy, almostOne)).toBe(199);
    expect(backoffMs(3, policy, almostOne)).toBe(399);
    expect(backoffMs(4, policy, almostOne)).toBe(799);
  });

  it('scales the ceiling by the random draw', () => {
    expect(backoffMs(3, policy, fixed(0.5))).toBe(200);
  });

  it('never exceeds maxMs however many attempts were made', () => {
    for (const attempt of [7, 8, 20, 1100, Number.MAX_SAFE_INTEGER]) {
      const ms = backoffMs(attempt, policy, fixed(0.999999));
      expect(ms).toBeLessThan(policy.maxMs);
      expect(ms).toBeGreaterThan(policy.maxMs * 0.99);
    }
  });

  it('stays within bounds for every draw across many attempts', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let attempt = 1; attempt <= 30; attempt++) {
      const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const ms = backoffMs(attempt, policy, random);
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThan(ceiling);
      }
    }
  });

  it('treats attempts below 1 and out-of-range draws as the first retry and a clamped draw', () => {
    expect(backoffMs(0, policy, fixed(0.5))).toBe(50);
    expect(backoffMs(-3, policy, fixed(0.5))).toBe(50);
    expect(backoffMs(Number.NaN, policy, fixed(0.5))).toBe(50);
    expect(backoffMs(1, policy, fixed(1))).toBe(99);
    expect(backoffMs(1, policy, fixed(-1))).toBe(0);
    expect(backoffMs(1, policy, fixed(Number.NaN))).toBe(0);
  });
});

describe('canRetry', () => {
  it('allows attempts up to maxAttempts in total', () => {
    expect(canRetry(1, policy)).toBe(true);
    expect(canRetry(4, policy)).toBe(true);
    expect(canRetry(5, policy)).toBe(false);
  });
});

describe('validateRetryPolicy', () => {
  it('accepts a sensible policy', () => {
    expect(validateRetryPolicy(policy)).toBe(policy);
  });

  it.each([
    [{ maxAttempts: 0, baseMs: 100, maxMs: 1000 }],
    [{ maxAttempts: 1.5, baseMs: 100, maxMs: 1000 }],
    [{ maxAttempts: 3, baseMs: -1, maxMs: 1000 }],
    [{ maxAttempts: 3, baseMs: 100, maxMs: 50 }],
    [{ maxAttempts: 3, baseMs: 100, maxMs: Number.POSITIVE_INFINITY }],
  ])('rejects %j', (p) => {
    expect(() => validateRetryPolicy(p)).toThrow(TributaryError);
  });
});
