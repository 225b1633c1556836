import type { EventAgeHistogramView } from './types.js';

/** Steps of one decade, in tenths: each bound is at most 12.5 % above the one before. */
const STEPS = [10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 26, 28, 30, 33, 36, 40, 45, 50, 55, 60, 65, 70, 75, 80, 90];

/** Upper bounds (ms, inclusive) of the buckets: 1 ms to 10 s, 26 per decade; a last bucket holds what is above. */
export const EVENT_AGE_BOUNDS_MS: readonly number[] = [
  ...[1, 10, 100, 1000].flatMap((decade) => STEPS.map((step) => (step * decade) / 10)),
  10_000,
];

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/**
 * Event ages (answer time − event `time`, ms) in fixed log-spaced buckets: recording is a binary search and an
 * increment, memory is constant, and p50/p95/p99 are read to within one bucket (≤ 12.5 %) between 1 ms and 10 s.
 */
export class EventAgeHistogram {
  /** counts[i]: ages in (bound[i-1], bound[i]]; the last one: above 10 s. Ages ≤ 1 ms (also negative) are in the first. */
  private readonly counts = new Array<number>(EVENT_AGE_BOUNDS_MS.length + 1).fill(0);
  private count = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;

  record(ageMs: number): void {
    if (Number.isNaN(ageMs)) return;
    const bounds = EVENT_AGE_BOUNDS_MS;
    let lo = 0;
    let hi = bounds.length;
    // The first bound >= ageMs (bounds.length when above all).
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bounds[mid] < ageMs) lo = mid + 1;
      else hi = mid;
    }
    this.counts[lo] += 1;
    this.count += 1;
    this.sum += ageMs;
    if (ageMs < this.min) this.min = ageMs;
    if (ageMs > this.max) this.max = ageMs;
  }

  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
  }

  /**
   * The p-quantile (0 < p ≤ 1): the bucket holding the ⌈p·count⌉-th smallest age, interpolated linearly inside it,
   * kept within [min, max]. null without ages.
   */
  quantile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let before = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const n = this.counts[i];
      if (before + n >= rank) {
        const lower = i === 0 ? Math.min(this.min, 0) : EVENT_AGE_BOUNDS_MS[i - 1];
        const upper = i === EVENT_AGE_BOUNDS_MS.length ? this.max : EVENT_AGE_BOUNDS_MS[i];
        const estimate = lower + ((upper - lower) * (rank - before)) / n;
        return round(Math.min(this.max, Math.max(this.min, estimate)));
      }
      before += n;
    }
    return round(this.max);
  }

  view(): EventAgeHistogramView {
    const buckets: { le: number | null; count: number }[] = [];
    for (let i = 0; i < this.counts.length; i++) {
      if (this.counts[i] > 0) buckets.push({ le: i === EVENT_AGE_BOUNDS_MS.length ? null : EVENT_AGE_BOUNDS_MS[i], count: this.counts[i] });
    }
    const empty = this.count === 0;
    return {
      count: this.count,
      sum: round(this.sum),
      min: empty ? null : round(this.min),
      max: empty ? null : round(this.max),
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      buckets,
    };
  }
}
