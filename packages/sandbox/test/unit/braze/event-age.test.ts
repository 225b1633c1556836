import { describe, expect, it } from 'vitest';
import { EVENT_AGE_BOUNDS_MS, EventAgeHistogram } from '../../../src/braze/event-age.js';

describe('the event-age histogram', () => {
  it('has bounds from 1 ms to 10 s, rising by at most 12.5 % each', () => {
    expect(EVENT_AGE_BOUNDS_MS[0]).toBe(1);
    expect(EVENT_AGE_BOUNDS_MS.at(-1)).toBe(10_000);
    expect(EVENT_AGE_BOUNDS_MS.slice(0, 14)).toEqual([1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2, 2.2, 2.4, 2.6, 2.8, 3]);
    expect(EVENT_AGE_BOUNDS_MS).toHaveLength(105);
    expect(EVENT_AGE_BOUNDS_MS).toContain(100);
    expect(EVENT_AGE_BOUNDS_MS).toContain(110);
    for (let i = 1; i < EVENT_AGE_BOUNDS_MS.length; i++) {
      expect(EVENT_AGE_BOUNDS_MS[i] / EVENT_AGE_BOUNDS_MS[i - 1]).toBeGreaterThan(1);
      expect(EVENT_AGE_BOUNDS_MS[i] / EVENT_AGE_BOUNDS_MS[i - 1]).toBeLessThanOrEqual(1.125 + 1e-9);
    }
  });

  it('is empty at first', () => {
    expect(new EventAgeHistogram().view()).toEqual({ count: 0, sum: 0, min: null, max: null, p50: null, p95: null, p99: null, buckets: [] });
  });

  it('puts each age in the first bucket whose bound is at least the age, and counts per bucket', () => {
    const h = new EventAgeHistogram();
    for (const age of [-5, 0, 1, 1.05, 100, 100, 100.5, 9999, 10_000, 10_001, 60_000]) h.record(age);
    h.record(Number.NaN);
    const view = h.view();
    expect(view.buckets).toEqual([
      { le: 1, count: 3 }, { le: 1.1, count: 1 }, { le: 100, count: 2 }, { le: 110, count: 1 }, { le: 10_000, count: 2 },
      { le: null, count: 2 },
    ]);
    expect(view).toMatchObject({ count: 11, min: -5, max: 60_000 });
    expect(view.sum).toBeCloseTo(-5 + 1 + 1.05 + 300.5 + 9999 + 10_000 + 10_001 + 60_000, 3);
  });

  it('reads p50, p95 and p99 to within a bucket', () => {
    const h = new EventAgeHistogram();
    // 1 000 ages, evenly from 1 to 1 000 ms: p50 ≈ 500, p95 ≈ 950, p99 ≈ 990.
    for (let i = 1; i <= 1000; i++) h.record(i);
    const { p50, p95, p99 } = h.view();
    expect(p50! / 500).toBeGreaterThan(0.89);
    expect(p50! / 500).toBeLessThan(1.125);
    expect(p95! / 950).toBeGreaterThan(0.89);
    expect(p95! / 950).toBeLessThan(1.125);
    expect(p99! / 990).toBeGreaterThan(0.89);
    expect(p99!).toBeLessThanOrEqual(1000);
  });

  it('keeps quantiles within the extremes, also for one age or ages above 10 s', () => {
    const one = new EventAgeHistogram();
    one.record(42);
    expect(one.view()).toMatchObject({ p50: 42, p95: 42, p99: 42, min: 42, max: 42 });
    const late = new EventAgeHistogram();
    for (let i = 0; i < 10; i++) late.record(20_000 + i * 1000);
    const view = late.view();
    expect(view.p50).toBeGreaterThanOrEqual(20_000);
    expect(view.p99).toBeLessThanOrEqual(29_000);
    expect(view.buckets).toEqual([{ le: null, count: 10 }]);
  });

  it('clears', () => {
    const h = new EventAgeHistogram();
    h.record(5);
    h.clear();
    expect(h.view().count).toBe(0);
    expect(h.view().buckets).toEqual([]);
  });
});
