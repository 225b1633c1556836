/**
 * End-to-end latency, record timestamp to Braze's acknowledgement, read from the Braze sandbox: its event-age
 * histogram (`eventAgeMs` in GET /_sandbox/counters) when it has one, otherwise its request log (each request's
 * arrival time plus its duration, minus each event's `time`), which needs a sandbox without --lean.
 */
import type { BrazeControl, BrazeCounters } from './sandbox.js';

export interface Quantiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max?: number;
  /** How the figures were obtained, for the notes. */
  readonly method: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Exact quantiles of a list of values (nearest rank). */
export function quantilesOf(values: number[], method: string): Quantiles | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))]!;
  return { count: v.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: v[v.length - 1]!, method };
}

interface Bucket {
  readonly upper: number;
  readonly count: number;
}

function bucketsOf(h: Record<string, unknown>): Bucket[] | null {
  const raw = h.buckets ?? h.histogram ?? h.bins;
  const out: Bucket[] = [];
  if (Array.isArray(raw)) {
    for (const b of raw) {
      if (Array.isArray(b) && b.length >= 2) {
        const upper = b[0] === '+Inf' || b[0] === 'Infinity' || b[0] === null ? Infinity : Number(b[0]);
        out.push({ upper, count: Number(b[1]) });
        continue;
      }
      if (!isObj(b)) return null;
      const upperRaw = ['le', 'upperMs', 'upper', 'ltMs', 'lt', 'leMs', 'maxMs', 'to', 'toMs', 'bound'].map((k) => b[k]).find((x) => x !== undefined);
      const count = ['count', 'n', 'value'].map((k) => num(b[k])).find((x) => x !== undefined);
      if (count === undefined) return null;
      const upper = upperRaw === '+Inf' || upperRaw === 'Infinity' || upperRaw === null || upperRaw === undefined ? Infinity : Number(upperRaw);
      if (Number.isNaN(upper)) return null;
      out.push({ upper, count });
    }
  } else if (isObj(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      const upper = /inf/i.test(k) ? Infinity : Number(k.replace(/^(le|<=?|lt)\s*/i, '').replace(/ms$/i, ''));
      const count = num(v);
      if (Number.isNaN(upper) || count === undefined) return null;
      out.push({ upper, count });
    }
  } else {
    return null;
  }
  return out.sort((a, b) => a.upper - b.upper);
}

/**
 * Reads the sandbox's event-age histogram, whatever reasonable shape it has. From its buckets (cumulative or not)
 * when it has them: each quantile is then the upper bound of the bucket it falls in, never lower than the truth.
 * Otherwise from the quantiles it gives (p50/p95/p99, possibly under `percentiles` or `quantiles`). Null when
 * absent, empty or unreadable.
 */
export function readEventAge(c: BrazeCounters): Quantiles | null {
  const h = c.eventAgeMs;
  if (!isObj(h)) return null;
  const max = num(h.max ?? h.maxMs);
  const fromBuckets = bucketQuantiles(h);
  if (fromBuckets) return { ...fromBuckets, ...(max === undefined ? {} : { max }) };
  for (const src of [h, h.percentiles, h.quantiles]) {
    if (!isObj(src)) continue;
    const p50 = num(src.p50 ?? src.p50Ms ?? src['0.5']);
    const p95 = num(src.p95 ?? src.p95Ms ?? src['0.95']);
    const p99 = num(src.p99 ?? src.p99Ms ?? src['0.99']);
    if (p50 !== undefined && p95 !== undefined && p99 !== undefined) {
      const count = num(h.count) ?? num(h.n) ?? num(h.total) ?? 0;
      return { count, p50, p95, p99, ...(max === undefined ? {} : { max }), method: "the Braze sandbox's event-age histogram (eventAgeMs), its own quantiles" };
    }
  }
  return null;
}

function bucketQuantiles(h: Record<string, unknown>): Omit<Quantiles, 'max'> | null {
  const buckets = bucketsOf(h);
  if (!buckets || buckets.length === 0) return null;
  const stated = num(h.count) ?? num(h.total) ?? num(h.n);
  const nonDecreasing = buckets.every((b, i) => i === 0 || b.count >= buckets[i - 1]!.count);
  const sum = buckets.reduce((s, b) => s + b.count, 0);
  const last = buckets[buckets.length - 1]!.count;
  const cumulative = nonDecreasing && (stated !== undefined ? last === stated && sum !== stated : last > 0 && buckets.length > 1 && sum > last * 1.5);
  const cum: Bucket[] = [];
  let run = 0;
  for (const b of buckets) {
    run = cumulative ? b.count : run + b.count;
    cum.push({ upper: b.upper, count: run });
  }
  const total = cum[cum.length - 1]!.count;
  if (total === 0) return null;
  const q = (p: number) => cum.find((b) => b.count >= p * total)?.upper ?? Infinity;
  const own = num(h.p99);
  return {
    count: total, p50: q(0.5), p95: q(0.95), p99: q(0.99),
    method: `the Braze sandbox's event-age histogram (eventAgeMs): upper bounds of the buckets the quantiles fall in${own === undefined ? '' : ` (the sandbox's own p99: ${Math.ceil(own)} ms)`}`,
  };
}

/** Collects event ages from the request log, polling it often enough that no request is missed (gaps are counted). */
export class RequestLogAges {
  readonly ages: number[] = [];
  private lastSeq = -1;
  private limit = 100;
  missed = 0;
  polls = 0;

  constructor(private readonly braze: BrazeControl) {}

  /** Forget what came before (call right after resetting the sandbox). */
  restart(): void {
    this.lastSeq = -1;
    this.ages.length = 0;
    this.missed = 0;
  }

  async poll(): Promise<void> {
    this.polls++;
    const entries = await this.braze.requests(this.limit);
    const fresh = entries.filter((e) => e.seq > this.lastSeq).sort((a, b) => a.seq - b.seq);
    if (fresh.length === 0) return;
    if (this.lastSeq >= 0 && fresh[0]!.seq > this.lastSeq + 1) this.missed += fresh[0]!.seq - this.lastSeq - 1;
    for (const e of fresh) {
      // Still in flight: read it (and what follows) at the next poll.
      if (e.status === null) break;
      this.lastSeq = e.seq;
      if (e.status < 200 || e.status >= 300) continue;
      const ack = Date.parse(e.timestamp) + e.durationMs;
      const body = e.requestBody as { events?: Array<{ time?: string }> } | null;
      for (const ev of body?.events ?? []) {
        const t = ev.time === undefined ? NaN : Date.parse(ev.time);
        if (Number.isFinite(t)) this.ages.push(ack - t);
      }
    }
    // Keep the page comfortably larger than what arrives between two polls.
    this.limit = Math.min(1000, Math.max(100, fresh.length * 4));
  }
}
