import type { RateLimit, RateLimitGroup } from './types.js';

/** braze-api.md §4: Braze's default limits per endpoint group. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitGroup, RateLimit>> = {
  'users.track': { limit: 3000, windowMs: 3000 },
  'users.export.ids': { limit: 250, windowMs: 60_000 },
  'users.identity': { limit: 20_000, windowMs: 60_000 },
  'subscription.status.set': { limit: 5000, windowMs: 60_000 },
  'default': { limit: 250_000, windowMs: 3_600_000 },
};

export const RATE_LIMIT_GROUPS = Object.keys(DEFAULT_RATE_LIMITS) as RateLimitGroup[];

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Epoch ms at which the current window ends. */
  readonly resetAtMs: number;
}

interface Window {
  startMs: number;
  count: number;
}

/**
 * Fixed windows per group. A window opens with the first request after the previous one ended,
 * so a burst that starts a window sees the whole budget (tests stay deterministic).
 */
export class RateLimiter {
  private readonly windows = new Map<RateLimitGroup, Window>();

  constructor(private limits: Readonly<Record<RateLimitGroup, RateLimit>>) {}

  setLimits(limits: Readonly<Record<RateLimitGroup, RateLimit>>): void {
    this.limits = limits;
    this.windows.clear();
  }

  private current(group: RateLimitGroup, nowMs: number): Window {
    const { windowMs } = this.limits[group];
    let window = this.windows.get(group);
    if (window === undefined || nowMs >= window.startMs + windowMs) {
      window = { startMs: nowMs, count: 0 };
      this.windows.set(group, window);
    }
    return window;
  }

  /** Counts one request against the group unless its budget is spent. */
  take(group: RateLimitGroup, nowMs: number): RateDecision {
    const { limit, windowMs } = this.limits[group];
    const window = this.current(group, nowMs);
    const allowed = window.count < limit;
    if (allowed) window.count += 1;
    return { allowed, limit, remaining: Math.max(0, limit - window.count), resetAtMs: window.startMs + windowMs };
  }

  /** The group's state without counting a request. */
  peek(group: RateLimitGroup, nowMs: number): RateDecision {
    const { limit, windowMs } = this.limits[group];
    const window = this.current(group, nowMs);
    return { allowed: window.count < limit, limit, remaining: Math.max(0, limit - window.count), resetAtMs: window.startMs + windowMs };
  }

  clear(): void {
    this.windows.clear();
  }
}

/**
 * §4 headers. Epoch style: Reset is UTC epoch seconds, on every answer including 429.
 * MAU style: Reset is seconds until the window resets; on 429 the three headers are replaced by
 * `X-Ratelimit-Retry-After` (integer seconds).
 */
export function rateLimitHeaders(
  decision: RateDecision, style: 'epoch' | 'mau', nowMs: number, limited: boolean,
): Record<string, string> {
  const secondsLeft = Math.max(1, Math.ceil((decision.resetAtMs - nowMs) / 1000));
  if (style === 'mau') {
    if (limited) return { 'X-Ratelimit-Retry-After': String(secondsLeft) };
    return {
      'X-RateLimit-Limit': String(decision.limit),
      'X-RateLimit-Remaining': String(decision.remaining),
      'X-RateLimit-Reset': String(secondsLeft),
    };
  }
  return {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(limited ? 0 : decision.remaining),
    'X-RateLimit-Reset': String(Math.ceil(decision.resetAtMs / 1000)),
  };
}
