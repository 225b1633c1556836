import { FaultError, validateLatency } from './faults.js';
import { DEFAULT_RATE_LIMITS, RATE_LIMIT_GROUPS } from './rate-limiter.js';
import type { BrazeSandboxConfig, BrazeSandboxConfigUpdate, RateLimit, RateLimitGroup, SubscriptionChannel } from './types.js';
import { isUuid } from './validators.js';

/** Applies a run-time config change; throws FaultError on invalid input and leaves `current` untouched. */
export function updateConfig(current: BrazeSandboxConfig, update: BrazeSandboxConfigUpdate): BrazeSandboxConfig {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) throw new FaultError('config must be an object');
  const known = new Set(['latencyMs', 'latency', 'limits', 'rateLimits', 'rateLimitStyle', 'objectLimitMode', 'strictGroups',
    'subscriptionGroups', 'doubleOptInEvents']);
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
  const subscriptionGroups = mergeGroups(current.subscriptionGroups, update.subscriptionGroups);
  const doubleOptInEvents = mergeDoubleOptInEvents(current.doubleOptInEvents, update.doubleOptInEvents, subscriptionGroups);
  return {
    latency,
    limits: update.limits ?? current.limits,
    rateLimits: update.rateLimits === undefined ? current.rateLimits : mergeRateLimits(current.rateLimits, update.rateLimits),
    rateLimitStyle: update.rateLimitStyle ?? current.rateLimitStyle,
    objectLimitMode: update.objectLimitMode ?? current.objectLimitMode,
    strictGroups: update.strictGroups ?? current.strictGroups,
    subscriptionGroups,
    doubleOptInEvents,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Declared groups: ids must be subscription group UUIDs (kept lower-case), channels email or sms. */
function mergeGroups(
  current: Readonly<Record<string, SubscriptionChannel>>, update: unknown,
): Readonly<Record<string, SubscriptionChannel>> {
  if (update === undefined) return current;
  if (!isObject(update)) throw new FaultError('subscriptionGroups must be an object of subscription group id -> "email" | "sms"');
  const out: Record<string, SubscriptionChannel> = { ...current };
  for (const [id, channel] of Object.entries(update)) {
    if (!isUuid(id)) throw new FaultError(`subscriptionGroups: ${JSON.stringify(id)} is not a subscription group id (a UUID)`);
    if (channel !== 'email' && channel !== 'sms') {
      throw new FaultError(`subscriptionGroups.${id} must be "email" or "sms", not ${JSON.stringify(channel)}`);
    }
    out[id.toLowerCase()] = channel;
  }
  return out;
}

/** Event name -> group; every group must be declared as an SMS group in `groups`. */
function mergeDoubleOptInEvents(
  current: Readonly<Record<string, string>>, update: unknown, groups: Readonly<Record<string, SubscriptionChannel>>,
): Readonly<Record<string, string>> {
  const out: Record<string, string> = { ...current };
  if (update !== undefined) {
    if (!isObject(update)) throw new FaultError('doubleOptInEvents must be an object of custom event name -> SMS subscription group id');
    for (const [name, group] of Object.entries(update)) {
      if (name === '') throw new FaultError('doubleOptInEvents: an event name may not be empty');
      if (group === null) {
        delete out[name];
        continue;
      }
      if (typeof group !== 'string' || !isUuid(group)) {
        throw new FaultError(`doubleOptInEvents.${name} must be a subscription group id (a UUID), not ${JSON.stringify(group)}`);
      }
      out[name] = group.toLowerCase();
    }
  }
  // Checked on the whole result, so re-declaring a group as email cannot leave an event pointing at it.
  for (const [name, group] of Object.entries(out)) {
    if (groups[group] !== 'sms') {
      throw new FaultError(`doubleOptInEvents.${name}: group ${group} is not a declared SMS subscription group; declare it in subscriptionGroups as "sms"`);
    }
  }
  return out;
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
