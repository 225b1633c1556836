/** Public types of the Braze sandbox. Braze's snake_case is kept wherever a value mirrors Braze JSON. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Rate-limit pools of braze-api.md §4. `users.identity` is the shared alias/identify pool. */
export type RateLimitGroup = 'users.track' | 'users.export.ids' | 'users.identity' | 'subscription.status.set' | 'default';

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Added latency: a fixed delay or a uniform draw between two bounds (seeded). */
export type LatencySpec = { readonly fixedMs: number } | { readonly minMs: number; readonly maxMs: number };

export type SubscriptionChannel = 'email' | 'sms';

export interface UserAlias {
  readonly alias_name: string;
  readonly alias_label: string;
}

/** How a profile is looked up, in Braze's own identifier shapes. */
export type ProfileRef =
  | { readonly external_id: string }
  | { readonly braze_id: string }
  | { readonly user_alias: UserAlias }
  | { readonly email: string }
  | { readonly phone: string };

// ---------------------------------------------------------------------------------------------
// Faults

export type FaultStatus = 500 | 502 | 503 | 504;

/** Standing faults, drawn per request with the seeded generator. Applied before auth and validation. */
export interface FaultSettings {
  /** Only these API paths are affected (e.g. ['/users/track']); default: every API path. */
  readonly paths?: readonly string[];
  /** Probability (0..1) of answering with one of `errorStatuses` instead of handling the request. */
  readonly errorRate?: number;
  /** Statuses drawn uniformly for `errorRate`; default [500, 502, 503, 504]. */
  readonly errorStatuses?: readonly FaultStatus[];
  /** Probability of destroying the connection (TCP reset) without an answer. */
  readonly resetRate?: number;
  /** Probability of holding the request without an answer. */
  readonly hangRate?: number;
  /** How long a hung request is held before its connection is destroyed; default 60 000. */
  readonly hangMs?: number;
  /** Extra latency on affected requests (added to the configured latency). */
  readonly latency?: LatencySpec;
}

/** One scripted misbehaviour; consumed in order by the next matching requests. */
export type ScriptedFault =
  /** Answer with this status (and body, default a Braze-style `{"message": ...}`). */
  | { readonly fault: 'status'; readonly status: number; readonly body?: JsonValue; readonly headers?: Readonly<Record<string, string>> }
  /** Answer 429 with the rate-limit headers of the configured style. */
  | { readonly fault: 'rate-limit'; readonly retryAfterS?: number }
  /** Destroy the connection without an answer. */
  | { readonly fault: 'reset' }
  /** Hold the request for hangMs (default the standing hangMs, else 60 000), then destroy it. */
  | { readonly fault: 'hang'; readonly hangMs?: number }
  /** Delay by ms, then handle the request normally. */
  | { readonly fault: 'delay'; readonly ms: number }
  /** /users/track only: handle normally but report these objects as per-object errors (not applied). */
  | {
    readonly fault: 'item-errors';
    readonly errors: readonly { readonly input_array: TrackArray; readonly index: number; readonly type?: string }[];
  };

export type ScriptStep = ScriptedFault & {
  /** Only requests to this API path consume the step; default any API path (item-errors: /users/track). */
  readonly path?: string;
  /** How many matching requests the step applies to; default 1. */
  readonly times?: number;
};

export interface FaultsView {
  readonly settings: FaultSettings;
  /** Remaining scripted steps, `times` being what is left of each. */
  readonly script: readonly ScriptStep[];
}

export interface FaultControl {
  /** Replace the standing fault settings ({} turns them off). Throws on invalid settings. */
  set(settings: FaultSettings): void;
  /** Append scripted steps. Throws on an invalid step. */
  script(steps: readonly ScriptStep[]): void;
  /** Remove standing settings and every remaining scripted step. */
  clear(): void;
  get(): FaultsView;
}

// ---------------------------------------------------------------------------------------------
// Configuration that can change at run time

export interface BrazeSandboxConfig {
  readonly latency: LatencySpec | null;
  readonly limits: 'default' | 'unlimited';
  readonly rateLimits: Readonly<Record<RateLimitGroup, RateLimit>>;
  readonly rateLimitStyle: 'epoch' | 'mau';
  readonly objectLimitMode: 'combined' | 'legacy';
  readonly strictGroups: boolean;
  /** Declared subscription groups (lower-case UUID -> channel); an undeclared group is an email group unless strictGroups. */
  readonly subscriptionGroups: Readonly<Record<string, SubscriptionChannel>>;
  /** Custom event name -> SMS group whose double opt-in the event starts (stands in for the customer's Braze workflow). */
  readonly doubleOptInEvents: Readonly<Record<string, string>>;
}

export interface BrazeSandboxConfigUpdate {
  readonly latencyMs?: number;
  readonly latency?: LatencySpec | null;
  readonly limits?: 'default' | 'unlimited';
  readonly rateLimits?: Partial<Record<RateLimitGroup, RateLimit>>;
  readonly rateLimitStyle?: 'epoch' | 'mau';
  readonly objectLimitMode?: 'combined' | 'legacy';
  readonly strictGroups?: boolean;
  /** Merged into the declared groups; a group already declared may change channel. */
  readonly subscriptionGroups?: Readonly<Record<string, SubscriptionChannel>>;
  /** Merged into the double opt-in events; `null` removes an event. Every group must be a declared SMS group. */
  readonly doubleOptInEvents?: Readonly<Record<string, string | null>>;
}

// ---------------------------------------------------------------------------------------------
// Profiles

export type TrackArray = 'attributes' | 'events' | 'purchases';

export type CustomAttributeType = 'string' | 'number' | 'boolean' | 'time' | 'array' | 'object' | 'array_of_objects';

export interface ActivitySummary {
  count: number;
  /** ISO-8601 of the earliest and latest occurrence. */
  first: string;
  last: string;
}

export interface StoredEvent {
  readonly name: string;
  readonly time: string;
  readonly app_id?: string;
  readonly properties: JsonObject;
}

export interface StoredPurchase {
  readonly product_id: string;
  readonly currency: string;
  readonly price: number;
  readonly quantity: number;
  readonly time: string;
  readonly app_id?: string;
  readonly properties: JsonObject;
}

export interface SubscriptionRecord {
  state: 'subscribed' | 'unsubscribed';
  updated_at: string;
  /** SMS double opt-in started and not confirmed: the state stays `unsubscribed`. */
  double_opt_in_pending?: boolean;
}

/** A profile as the sandbox holds it (a copy when read through `state`). */
export interface BrazeSandboxProfile {
  braze_id: string;
  external_id: string | null;
  user_aliases: UserAlias[];
  email: string | null;
  /** Normalised E.164 when valid, otherwise as sent. */
  phone: string | null;
  /** Standard profile fields that were set (first_name, country, email_subscribe, push_tokens, ...). */
  standard_attributes: Record<string, JsonValue>;
  custom_attributes: Record<string, JsonValue>;
  custom_attribute_types: Record<string, CustomAttributeType>;
  /** Per event name. */
  custom_events: Record<string, ActivitySummary>;
  /** The most recent events (bounded, oldest dropped). */
  events: StoredEvent[];
  /** Per product_id. */
  purchases: Record<string, ActivitySummary>;
  /** The most recent purchases (bounded, oldest dropped). */
  purchase_history: StoredPurchase[];
  total_revenue: number;
  subscription_groups: Record<string, SubscriptionRecord>;
  /** Data points this profile consumed (§8). */
  data_points: number;
  created_at: string;
  updated_at: string;
}

// ---------------------------------------------------------------------------------------------
// Inspection

export type FaultKind = 'status' | 'rate-limit' | 'reset' | 'hang' | 'delay' | 'item-errors' | 'latency';

export interface BrazeSandboxRequest {
  readonly seq: number;
  /** ISO-8601 arrival time. */
  readonly timestamp: string;
  readonly method: string;
  readonly path: string;
  /** Raw query string without `?` ('' when none). */
  readonly query: string;
  /** null when no answer was sent (reset, hang). */
  status: number | null;
  /** Parsed JSON body, the raw text when it was not JSON, null when empty. */
  readonly requestBody: JsonValue;
  responseBody: JsonValue;
  durationMs: number;
  /** Set when a fault shaped this request; `scripted` tells whether it came from the script. */
  fault?: { readonly kind: FaultKind; readonly scripted: boolean };
  /** Things Braze does silently (dropped nested updates, ignored time zone, skipped objects...). */
  warnings?: string[];
}

export interface ArrayCounters {
  /** Objects received in accepted (non-fatal) requests. */
  received: number;
  /** Objects without a per-object error. */
  processed: number;
  /** Objects reported in `errors`. */
  errors: number;
}

export interface BrazeSandboxCounters {
  /** API requests (everything but /_sandbox/). */
  requests: number;
  /** `"POST /users/track"` → status → count; status is a number or `reset` / `hang`; unknown paths count under `other`. */
  byEndpoint: Record<string, Record<string, number>>;
  objects: Record<TrackArray, ArrayCounters>;
  dataPoints: { total: number; attributes: number; events: number; purchases: number };
  /** 429 answers, real and scripted. */
  rateLimited: number;
  faults: { status: number; rateLimit: number; reset: number; hang: number; delay: number; itemErrors: number; latency: number };
  profiles: number;
  /** Ages of the accepted events of /users/track, taken when the 2xx answer is sent; see EventAgeHistogramView. */
  eventAgeMs: EventAgeHistogramView;
}

/**
 * Event ages in ms: for every event object of a /users/track request answered 2xx without a per-object error,
 * the time the answer was sent (after any latency) minus the event's `time`. Cleared by reset.
 */
export interface EventAgeHistogramView {
  readonly count: number;
  /** Sum of the ages (mean = sum / count). */
  readonly sum: number;
  /** Exact extremes; null without events. An event `time` in the future gives a negative age. */
  readonly min: number | null;
  readonly max: number | null;
  /** Quantiles read from the buckets (within one bucket, ≤ 12.5 %, between 1 ms and 10 s); null without events. */
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /**
   * The non-empty buckets, ascending: `count` ages in (previous bound, `le`] ms. Bounds run from 1 to 10 000 ms,
   * 26 per decade (1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.8, 2, 2.2, 2.4, 2.6, 2.8, 3, 3.3, 3.6, 4, 4.5, 5, 5.5, 6, 6.5,
   * 7, 7.5, 8, 9, 10, 11, ...; EVENT_AGE_BOUNDS_MS);
   * the first bucket (le 1) also holds ages of 0 and below, `le: null` holds those above 10 000 ms. Counts are per
   * bucket, not cumulative.
   */
  readonly buckets: readonly { readonly le: number | null; readonly count: number }[];
}

export interface BrazeSandboxState {
  /** The profile Braze would resolve for this identifier (email/phone: §2.2 tie-breaking), as a copy. */
  findProfile(ref: ProfileRef): BrazeSandboxProfile | undefined;
  /** Every profile matching the identifier (several may share an email or phone). */
  findProfiles(ref: ProfileRef): BrazeSandboxProfile[];
  /** All profiles (the first `limit` when given, in creation order), as copies. */
  profiles(limit?: number): BrazeSandboxProfile[];
  profileCount(): number;
  counters(): BrazeSandboxCounters;
  /** Started with `lean: true`: no request log (requests() throws) and no event or purchase history on profiles. */
  readonly lean: boolean;
  /** The request log, oldest first; `limit` keeps the most recent ones. Throws in lean mode, which keeps no log. */
  requests(filter?: { readonly limit?: number; readonly path?: string }): BrazeSandboxRequest[];
  /** Clears profiles, pending subscription states, log, counters, rate windows and faults; re-seeds randomness. */
  reset(): Promise<void>;
  readonly faults: FaultControl;
  config(): BrazeSandboxConfig;
  configure(update: BrazeSandboxConfigUpdate): BrazeSandboxConfig;
  /** Confirms a pending SMS double opt-in (the user replied with the keyword): state becomes subscribed. */
  confirmDoubleOptIn(ref: ProfileRef, subscriptionGroupId: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// Starting the sandbox

export interface BrazeSandboxOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Key -> permissions ('users.track', 'users.export.ids', ...) or '*' for all. Default { [apiKey]: '*' }. */
  apiKeys?: Record<string, readonly string[] | '*'>;
  /** The default all-permission key; default 'sandbox-api-key'. */
  apiKey?: string;
  /** Fixed latency added to every API answer; default 0. */
  latencyMs?: number;
  /** Latency as a distribution (overrides latencyMs). */
  latency?: LatencySpec;
  /** Braze's published per-endpoint rate limits, or none. Default 'default'. */
  limits?: 'default' | 'unlimited';
  /** Overrides per group. */
  rateLimits?: Partial<Record<RateLimitGroup, RateLimit>>;
  /** Header style of braze-api.md §4; default 'epoch'. */
  rateLimitStyle?: 'epoch' | 'mau';
  /** 75 objects combined per /users/track request (default) or 75 per array (legacy). */
  objectLimitMode?: 'combined' | 'legacy';
  /** Known group ids (UUIDs) and their channels. Unknown valid UUIDs are email groups unless strictGroups. */
  subscriptionGroups?: Record<string, SubscriptionChannel>;
  /** Reject subscription group ids not listed in subscriptionGroups. Default false. */
  strictGroups?: boolean;
  /**
   * Custom event name -> SMS group id (declared in subscriptionGroups). When /users/track records
   * such an event for a profile with a phone, that profile enters a pending double opt-in in the
   * group, as the customer's Braze workflow would start it. Default none.
   */
  doubleOptInEvents?: Record<string, string>;
  /** Per custom array attribute cap (Braze allows raising it up to 100); default 25 for every array. */
  arrayLimits?: Record<string, number>;
  /** Request log capacity; default 1000. */
  requestLogSize?: number;
  /**
   * Lean mode, for load tests: the same validation, answers, rate limits and counters, and profiles that export and
   * subscription endpoints read, without the bookkeeping that only serves inspection: no request log (GET
   * /_sandbox/requests answers 409, `state.requests()` throws), no per-profile event and purchase history
   * (`events`, `purchase_history` stay empty; the summaries are kept), and braze_ids made when first read rather
   * than when the profile is made. Default false.
   */
  lean?: boolean;
  /** Events and purchases kept per profile; default 100. */
  historySize?: number;
  /** When given, profiles persist in <dataDir>/braze-sandbox.json (written on close and on reset). */
  dataDir?: string;
  /** Seed for every random decision (fault draws, latency draws, generated braze_ids). */
  seed?: number;
  /** Standing faults from the start. */
  faults?: FaultSettings;
  /** Scripted faults from the start. */
  script?: readonly ScriptStep[];
  /** Clock in epoch ms (tests); default Date.now. */
  now?: () => number;
  /** Lifecycle lines (start, close); per-request lines only with logRequests. */
  log?: (line: string) => void;
  logRequests?: boolean;
}

export interface BrazeSandbox {
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  readonly apiKey: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
  /** Programmatic access to what /_sandbox/ serves. */
  readonly state: BrazeSandboxState;
}
