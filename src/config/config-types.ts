/**
 * The shape of tributary's configuration after loading: every key present, validated and deep-frozen.
 * Documented key by key in docs/configuration.md; the JSON Schema in config-schema.ts carries the same descriptions.
 */
import type { PartnerOptions } from '../partners/options.js';
import type { OutboundRoute } from '../partners/braze-events/options.js';

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSslOptions {
  /** PEM text. A path in the file is replaced by the file's contents when loading. */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly rejectUnauthorized?: boolean;
}

export interface KafkaSaslOptions {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

export const KAFKA_START_FROM = ['earliest', 'latest'] as const;
export type KafkaStartFrom = (typeof KAFKA_START_FROM)[number];

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  /** Where a group with no committed offset starts (Kafka's auto.offset.reset). */
  readonly startFrom: KafkaStartFrom;
  /** At start, wait for missing topics instead of exiting with the list of them. */
  readonly waitForTopics: boolean;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxBytesPerFetch: number;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Passed through to kafkajs: `true` uses the system CAs. */
  readonly ssl: boolean | KafkaSslOptions;
  readonly sasl: KafkaSaslOptions | null;
}

export interface SchemaRegistryConfig {
  /** `null` disables Avro decoding: Avro records are dead-lettered with a reason saying so. */
  readonly url: string | null;
  readonly username: string | null;
  readonly password: string | null;
}

export type BrazeObjectLimitMode = 'combined' | 'legacy';

export const BRAZE_RATE_LIMIT_KEYS = ['users.track', 'users.export.ids', 'users.alias', 'subscription.set', 'default'] as const;
export type BrazeRateLimitKey = (typeof BRAZE_RATE_LIMIT_KEYS)[number];

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export interface BrazeRetryConfig {
  /** null: as many as it takes (infrastructure trouble waits; it never dead-letters data). */
  readonly maxAttempts: number | null;
  /** null: no time limit. */
  readonly maxElapsedMs: number | null;
  readonly baseMs: number;
  readonly maxMs: number;
}

export interface BrazeConfig {
  /** Instance base URL without a path or trailing slash. Required unless loaded with `requireBraze: false`. */
  readonly restEndpoint: string | null;
  readonly apiKey: string | null;
  readonly objectLimitMode: BrazeObjectLimitMode;
  readonly maxObjectsPerRequest: number;
  readonly maxBatchBytes: number;
  readonly lingerMs: number;
  readonly maxConcurrentRequests: number;
  readonly requestTimeoutMs: number;
  readonly retry: BrazeRetryConfig;
  /** How long a request whose outcome is unknown may still land at Braze (see the README's delivery guarantees). */
  readonly ambiguityWindowMs: number;
  readonly rateLimits: Readonly<Record<BrazeRateLimitKey, RateLimit>>;
  /** `'auto'`: 1 / number of consumer group members, computed by the engine. */
  readonly rateLimitShare: 'auto' | number;
  readonly identity: IdentityConfig;
}

/** The identity resolver's cache of /users/export/ids answers. */
export interface IdentityConfig {
  readonly cacheMaxEntries: number;
  readonly foundTtlMs: number;
  readonly notFoundTtlMs: number;
}

/** Topics tributary reads. The order is the order documented in topics.md. */
export const INPUT_TOPIC_KEYS = [
  'actioniqAudienceMembership',
  'actioniqUserAttributes',
  'actioniqEvents',
  'extoleEvents',
  'komoSubmissions',
  'quiklyActivations',
  'brazeEvents',
  'quiklyDelayed',
] as const;
export type InputTopicKey = (typeof INPUT_TOPIC_KEYS)[number];

export const OUTPUT_TOPIC_KEYS = ['quiklyCredits', 'deadLetter', 'movableInkState'] as const;
export type OutputTopicKey = (typeof OUTPUT_TOPIC_KEYS)[number];

export type TopicsConfig = { readonly [K in InputTopicKey | OutputTopicKey]: string } & {
  /** Which input topics this instance consumes. */
  readonly consume: readonly InputTopicKey[];
};

export interface PipelineConfig {
  readonly maxInFlightOps: number;
  readonly shutdownTimeoutMs: number;
  readonly commitIntervalMs: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ObservabilityConfig {
  readonly host: string;
  /** 0 picks a free port; `null` disables the HTTP server. */
  readonly port: number | null;
  readonly logLevel: LogLevel;
}

/** One outbound partner's delivery resources. */
export interface OutboundSinkConfig {
  readonly maxConcurrentRequests: number;
  /** Requests per window this instance may send to the partner. */
  readonly rateLimit: RateLimit;
}

export interface MovableInkConfig extends OutboundSinkConfig {
  /** The full `.../behavioral/<key>` URL from Movable Ink; required when a route goes to Movable Ink. */
  readonly url: string | null;
  /** Env MOVABLE_INK_USERNAME. */
  readonly username: string | null;
  /** Env MOVABLE_INK_PASSWORD. Secret. */
  readonly password: string | null;
  readonly userIdProperty: string | null;
  readonly knownUsersOnly: boolean;
  readonly stripProperties: readonly string[];
}

export interface QuiklyWebhookConfig extends OutboundSinkConfig {
  readonly url: string;
  /** Env QUIKLY_API_KEY. Secret. */
  readonly token: string | null;
}

export interface ReceiverConfig {
  readonly enabled: boolean;
  /** null: served on the observability server; 0 picks a free port. */
  readonly port: number | null;
  readonly host: string;
  /** Env BRAZE_EVENTS_TOKEN. Secret. */
  readonly token: string | null;
  readonly maxBodyBytes: number;
}

/** Braze -> partners: the receiver of Braze webhooks and delivery of `braze.events` to Movable Ink and Quikly. */
export interface OutboundConfig {
  readonly routes: readonly OutboundRoute[];
  /** Allows http:// partner URLs (the sandbox); HTTPS is required otherwise. */
  readonly allowInsecure: boolean;
  readonly requestTimeoutMs: number;
  readonly movableInk: MovableInkConfig;
  readonly quiklyWebhook: QuiklyWebhookConfig;
  readonly receiver: ReceiverConfig;
}

export interface TributaryConfig {
  readonly kafka: KafkaConfig;
  readonly schemaRegistry: SchemaRegistryConfig;
  readonly braze: BrazeConfig;
  readonly topics: TopicsConfig;
  readonly partners: PartnerOptions;
  readonly outbound: OutboundConfig;
  readonly pipeline: PipelineConfig;
  readonly observability: ObservabilityConfig;
}

/** Every key optional, all the way down; arrays and scalars are replaced whole, never merged. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { -readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;
