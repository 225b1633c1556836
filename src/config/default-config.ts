import type { TributaryConfig } from './config-types.js';
import { deepFreeze } from './config-tree.js';
import { defaultPartnerOptions } from '../partners/index.js';
import { DEFAULT_STRIP_PROPERTIES } from '../partners/braze-events/options.js';

/**
 * Braze's documented per-workspace rate limits (braze-api.md §4,
 * https://www.braze.com/docs/api/api_limits/). `users.export.ids` uses the stricter limit
 * of workspaces onboarded after 22 Aug 2024, so a default never overruns an older one either.
 */
const BRAZE_RATE_LIMITS = {
  'users.track': { limit: 3000, windowMs: 3000 },
  'users.export.ids': { limit: 250, windowMs: 60_000 },
  'users.alias': { limit: 20_000, windowMs: 60_000 },
  'subscription.set': { limit: 5000, windowMs: 60_000 },
  default: { limit: 250_000, windowMs: 3_600_000 },
} as const;

/** Built fresh on each call so no caller can share (or, before freezing, mutate) another's tree. */
function buildDefaults(): TributaryConfig {
  return {
    kafka: {
      brokers: ['127.0.0.1:9092'],
      clientId: 'tributary',
      groupId: 'tributary',
      startFrom: 'earliest',
      waitForTopics: false,
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 60_000,
      heartbeatIntervalMs: 3000,
      maxWaitTimeMs: 500,
      maxBytesPerPartition: 1_048_576,
      maxBytesPerFetch: 2_097_152,
      connectionTimeoutMs: 3000,
      requestTimeoutMs: 30_000,
      ssl: false,
      sasl: null,
    },
    schemaRegistry: {
      url: 'http://127.0.0.1:8081',
      username: null,
      password: null,
    },
    braze: {
      restEndpoint: null,
      apiKey: null,
      objectLimitMode: 'combined',
      maxObjectsPerRequest: 75,
      maxBatchBytes: 1_000_000,
      lingerMs: 50,
      maxConcurrentRequests: 256,
      requestTimeoutMs: 10_000,
      retry: { maxAttempts: null, maxElapsedMs: null, baseMs: 200, maxMs: 30_000 },
      ambiguityWindowMs: 20_000,
      rateLimits: structuredClone(BRAZE_RATE_LIMITS),
      rateLimitShare: 'auto',
      identity: { cacheMaxEntries: 100_000, foundTtlMs: 3_600_000, notFoundTtlMs: 60_000 },
    },
    topics: {
      actioniqAudienceMembership: 'actioniq.audience-membership',
      actioniqUserAttributes: 'actioniq.user-attributes',
      actioniqEvents: 'actioniq.events',
      extoleEvents: 'extole.events',
      komoSubmissions: 'komo.submissions',
      quiklyActivations: 'quikly.activations',
      brazeEvents: 'braze.events',
      quiklyCredits: 'quikly.credits',
      quiklyDelayed: 'tributary.quikly.delayed',
      deadLetter: 'tributary.dlq',
      movableInkState: 'tributary.state.movable-ink',
      consume: ['actioniqAudienceMembership', 'actioniqUserAttributes', 'actioniqEvents', 'extoleEvents', 'komoSubmissions', 'quiklyActivations'],
    },
    partners: defaultPartnerOptions(),
    outbound: {
      routes: [],
      allowInsecure: false,
      requestTimeoutMs: 10_000,
      movableInk: {
        url: null,
        username: null,
        password: null,
        userIdProperty: null,
        knownUsersOnly: false,
        stripProperties: [...DEFAULT_STRIP_PROPERTIES],
        maxConcurrentRequests: 16,
        rateLimit: { limit: 1000, windowMs: 1000 },
      },
      quiklyWebhook: {
        url: 'https://api.quikly.com/webhook/braze',
        token: null,
        maxConcurrentRequests: 8,
        rateLimit: { limit: 100, windowMs: 1000 },
      },
      receiver: { enabled: false, port: null, host: '0.0.0.0', token: null, maxBodyBytes: 1_048_576 },
    },
    pipeline: {
      maxInFlightOps: 20_000,
      shutdownTimeoutMs: 15_000,
      commitIntervalMs: 1000,
    },
    observability: {
      host: '0.0.0.0',
      port: 9464,
      logLevel: 'info',
    },
  };
}

/** The full default tree, deep-frozen. Secrets and the Braze endpoint are `null`: there is no sensible default. */
export function defaultConfig(): TributaryConfig {
  return deepFreeze(buildDefaults());
}

/** A mutable copy of the defaults, the base the loader merges the file, env and overrides onto. */
export function mutableDefaults(): Record<string, unknown> {
  return buildDefaults() as unknown as Record<string, unknown>;
}
