import { FaultError, validateLatency } from './faults.js';
import { DEFAULT_RATE_LIMITS, RATE_LIMIT_GROUPS } from './rate-limiter.js';
import type { BrazeSandboxConfig, BrazeSandboxConfigUpdate, RateLimit, RateLimitGroup } from './types.js';

/** Applies a run-time config change; throws FaultError on invalid input and leaves `current` untouched. */
export function updateConfig(current: BrazeSandboxConfig, update: BrazeSandboxConfigUpdate): BrazeSandboxConfig {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) throw new FaultError('config must be an object');
  const known = new Set(['latencyMs', 'latency', 'limits', 'rateLimits', 'rateLimitStyle', 'objectLimitMode', 'strictGroups']);
  for (const key of Object.keys(update)) if (!known.has(key)) throw new FaultError(`unknown config key '${key}'`);
  let latency = current.latency;
  if (update.latencyMs !== undefined) {
    if (typeof update.latencyMs !== 'number' || !Number.isFinite(update.latencyMs) || update.latencyMs < 0) {
      throw new FaultError('latencyMs must be a non-negative number');
    }
    latency = update.latencyMs > 0 ? { fixedMs: update.latencyMs } : null;
  }
  if (update.latency !== undefined) latency = update.latency === null ? null : validateLatency(update.latency);
  if (update.limits !== undefined && update.limits !== 'default' && update.limits !== 'unlimited') {
    throw new FaultError("limits must be 'default' or 'unlimited'");
  }
  if (update.rateLimitStyle !== undefined && update.rateLimitStyle !== 'epoch' && update.rateLimitStyle !== 'mau') {
    throw new FaultError("rateLimitStyle must be 'epoch' or 'mau'");
  }
  if (update.objectLimitMode !== undefined && update.objectLimitMode !== 'combined' && update.objectLimitMode !== 'legacy') {
    throw new FaultError("objectLimitMode must be 'combined' or 'legacy'");
  }
  if (update.strictGroups !== undefined && typeof update.strictGroups !== 'boolean') throw new FaultError('strictGroups must be a boolean');
  return {
    latency,
    limits: update.limits ?? current.limits,
    rateLimits: update.rateLimits === undefined ? current.rateLimits : mergeRateLimits(current.rateLimits, update.rateLimits),
    rateLimitStyle: update.rateLimitStyle ?? current.rateLimitStyle,
    objectLimitMode: update.objectLimitMode ?? current.objectLimitMode,
    strictGroups: update.strictGroups ?? current.strictGroups,
  };
}

export function mergeRateLimits(
  base: Readonly<Record<RateLimitGroup, RateLimit>>, overrides: Partial<Record<RateLimitGroup, RateLimit>>,
): Record<RateLimitGroup, RateLimit> {
  if (typeof overrides !== 'object' || overrides === null) throw new FaultError('rateLimits must be an object');
  const out = { ...base };
  for (const [group, value] of Object.entries(overrides)) {
    if (!RATE_LIMIT_GROUPS.includes(group as RateLimitGroup)) {
      throw new FaultError(`unknown rate-limit group '${group}' (known: ${RATE_LIMIT_GROUPS.join(', ')})`);
    }
    const v = value as Partial<RateLimit> | undefined;
    if (v === undefined) continue;
    if (typeof v !== 'object' || v === null || !Number.isInteger(v.limit) || (v.limit as number) < 0
      || typeof v.windowMs !== 'number' || !Number.isFinite(v.windowMs) || v.windowMs <= 0) {
      throw new FaultError(`rateLimits.${group} must be {"limit": integer >= 0, "windowMs": number > 0}`);
    }
    out[group as RateLimitGroup] = { limit: v.limit as number, windowMs: v.windowMs };
  }
  return out;
}

export const initialRateLimits = (overrides?: Partial<Record<RateLimitGroup, RateLimit>>): Record<RateLimitGroup, RateLimit> =>
  mergeRateLimits(DEFAULT_RATE_LIMITS, overrides ?? {});
