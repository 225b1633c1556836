/**
 * The JSON Schema of the config file. It drives validation (through ajv) and doubles as the editor schema,
 * so every property has a description and its default. `schemas/tributary-config.schema.json` is this
 * object written out; test/unit/config/config-schema.test.ts fails when the two differ, and
 * `npx vitest run test/unit/config/config-schema.test.ts --update` rewrites the file.
 *
 * `errorMessage` and `patternErrorMessage` are annotations VS Code and the YAML language server show in
 * place of the generic text; the loader uses them for its own messages too.
 */
import { PARTNER_OPTIONS_SCHEMAS } from '../partners/index.js';
import { BRAZE_RATE_LIMIT_KEYS, INPUT_TOPIC_KEYS, KAFKA_START_FROM, LOG_LEVELS, OUTPUT_TOPIC_KEYS } from './config-types.js';
import type { BrazeRateLimitKey, InputTopicKey, OutputTopicKey } from './config-types.js';
import { deepFreeze } from './config-tree.js';
import { defaultConfig } from './default-config.js';

type Schema = Record<string, unknown>;

const defaults = defaultConfig();

function integer(description: string, def: number | null, range: { minimum?: number; maximum?: number } = {}): Schema {
  return { description, type: 'integer', ...range, default: def };
}

function object(description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema {
  return { description, type: 'object', additionalProperties: false, properties, ...extra };
}

function nonEmptyString(description: string, def?: string): Schema {
  return { description, type: 'string', minLength: 1, ...(def === undefined ? {} : { default: def }) };
}

/** Kafka's own rule for topic names (kafka.common.internals.Topic), minus `.` and `..`, which it also rejects. */
const TOPIC_NAME: Schema = {
  type: 'string',
  pattern: '^(?!\\.{1,2}$)[a-zA-Z0-9._-]{1,249}$',
  patternErrorMessage: 'must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ - (and not "." or "..")',
};

const TOPIC_DESCRIPTIONS: Record<InputTopicKey | OutputTopicKey, string> = {
  actioniqAudienceMembership: 'Input: ActionIQ audience split membership (sets `<attributePrefix>_<audience_id>_<split_id>`).',
  actioniqUserAttributes: 'Input: ActionIQ user attributes, written to Braze as given.',
  actioniqEvents: 'Input: ActionIQ events, tracked as Braze custom events.',
  extoleEvents: 'Input: Extole program, subscription and reward events.',
  komoSubmissions: 'Input: Komo form submissions, mapped per hub (see partners.komo.hubs).',
  quiklyActivations: 'Input: Quikly activations (email and SMS acquisition, attributes).',
  brazeEvents: 'Input: Braze events forwarded to partners (Movable Ink, Quikly webhook).',
  quiklyDelayed: 'tributary\'s own topic (input and output): Quikly SMS steps handed off until they are due (the subscription wait, double opt-in watching). Consumed whenever quiklyActivations is. Delete cleanup policy, retention longer than the longest wait (partners.quikly.doubleOptIn.deadlineMs).',
  quiklyCredits: 'Output: one record per Quikly SMS acquisition with its outcome.',
  deadLetter: 'Output: records that could not be decoded, mapped or delivered, with the reason in headers.',
  movableInkState: 'tributary\'s own topic (output, read back at start): per person (anonymous id), the user_id already sent to Movable Ink, for user id continuity across restarts and rebalances. Compacted cleanup policy.',
};

const RATE_LIMIT_DESCRIPTIONS: Record<BrazeRateLimitKey, string> = {
  'users.track': 'POST /users/track (Braze: 3,000 requests per 3 s per workspace).',
  'users.export.ids': 'POST /users/export/ids (Braze: 250/min for workspaces onboarded after 22 Aug 2024, 2,500/min before).',
  'users.alias': '/users/alias/new, /users/identify and the other alias endpoints, which share one budget (Braze: 20,000/min).',
  'subscription.set': '/subscription/status/set and /v2/subscription/status/set, which share one budget (Braze: 5,000/min).',
  default: 'Every other endpoint tributary calls, e.g. /subscription/status/get (Braze: 250,000/hour shared).',
};

function rateLimit(key: BrazeRateLimitKey): Schema {
  const def = defaults.braze.rateLimits[key];
  return object(RATE_LIMIT_DESCRIPTIONS[key], {
    limit: integer('Requests allowed per window, for the whole workspace (this instance uses its rateLimitShare of it).', def.limit, { minimum: 1 }),
    windowMs: integer('Length of the rate-limit window in milliseconds.', def.windowMs, { minimum: 1 }),
  }, { default: { ...def } });
}

const kafka = object('Kafka connection and consumer group settings (passed to kafkajs).', {
  brokers: {
    description: 'Bootstrap brokers as host:port. Env: KAFKA_BROKERS (comma-separated), which replaces the whole list.',
    type: 'array',
    minItems: 1,
    items: {
      type: 'string',
      pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:/,\\[\\]]+):[0-9]{1,5}$',
      patternErrorMessage: 'must be host:port, e.g. broker-1.example.com:9092',
    },
    default: [...defaults.kafka.brokers],
  },
  clientId: nonEmptyString('Client id sent to the brokers (shows up in broker logs and quotas).', defaults.kafka.clientId),
  groupId: nonEmptyString('Consumer group id. Instances with the same groupId share the partitions between them.', defaults.kafka.groupId),
  startFrom: {
    description: 'Where a consumer group with no committed offset starts (Kafka\'s auto.offset.reset): earliest = every record still retained (a brand-new group gets them all, events included), latest = only records produced from now on. No effect once the group has committed offsets. Replaces fromBeginning.',
    type: 'string',
    enum: [...KAFKA_START_FROM],
    default: defaults.kafka.startFrom,
  },
  waitForTopics: {
    description: 'At start, wait (checking every few seconds) for missing input, dead-letter and output topics instead of exiting with the list of them and how to create them.',
    type: 'boolean',
    default: defaults.kafka.waitForTopics,
  },
  sessionTimeoutMs: integer('Consumer session timeout: a member silent for this long is removed from the group.', defaults.kafka.sessionTimeoutMs, { minimum: 1 }),
  rebalanceTimeoutMs: integer('How long the group waits for members to rejoin during a rebalance.', defaults.kafka.rebalanceTimeoutMs, { minimum: 1 }),
  heartbeatIntervalMs: integer('Interval between consumer heartbeats; must be less than sessionTimeoutMs.', defaults.kafka.heartbeatIntervalMs, { minimum: 1 }),
  maxWaitTimeMs: integer('Longest time a fetch waits on the broker for data.', defaults.kafka.maxWaitTimeMs, { minimum: 0 }),
  maxBytesPerPartition: integer('Most bytes fetched per partition per request.', defaults.kafka.maxBytesPerPartition, { minimum: 1 }),
  maxBytesPerFetch: integer('Most bytes of one fetch response, all partitions together (the consumer\'s fetch.max.bytes). A fetched response is decoded in one go, so this bounds both that pause and the memory of records fetched but not yet taken in. Kafka still returns a first batch larger than this.', defaults.kafka.maxBytesPerFetch, { minimum: 1 }),
  connectionTimeoutMs: integer('Timeout for opening a connection to a broker.', defaults.kafka.connectionTimeoutMs, { minimum: 1 }),
  requestTimeoutMs: integer('Timeout for one request to a broker.', defaults.kafka.requestTimeoutMs, { minimum: 1 }),
  ssl: {
    description: 'TLS to the brokers: false (plaintext), true (TLS with the system CAs) or options passed to kafkajs.',
    type: ['boolean', 'object'],
    additionalProperties: false,
    properties: {
      ca: nonEmptyString('CA certificate: PEM text, or a path to a PEM file (relative to the config file\'s folder).'),
      cert: nonEmptyString('Client certificate for mutual TLS: PEM text or a path to a PEM file.'),
      key: nonEmptyString('Client private key for mutual TLS: PEM text or a path to a PEM file. Secret: redacted in output.'),
      rejectUnauthorized: { description: 'Reject brokers whose certificate does not verify. Leave true outside of tests.', type: 'boolean', default: true },
    },
    errorMessage: 'must be true, false or an object with ca, cert, key, rejectUnauthorized',
    default: defaults.kafka.ssl,
  },
  sasl: {
    description: 'SASL authentication, or null for none. Env: KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      mechanism: { description: 'SASL mechanism. Env: KAFKA_SASL_MECHANISM.', enum: ['plain', 'scram-sha-256', 'scram-sha-512'] },
      username: nonEmptyString('SASL username. Env: KAFKA_SASL_USERNAME.'),
      password: nonEmptyString('SASL password. Env: KAFKA_SASL_PASSWORD (preferred over the file). Secret: redacted in output.'),
    },
    errorMessage: 'must be null or an object with mechanism, username and password',
    default: defaults.kafka.sasl,
  },
});

const schemaRegistry = object('Confluent-compatible Schema Registry used to decode Avro records.', {
  url: {
    description: 'Registry base URL. null disables Avro decoding: Avro records are then dead-lettered with a reason saying so. Env: SCHEMA_REGISTRY_URL ("off" disables).',
    type: ['string', 'null'],
    pattern: '^https?://[^\\s/?#]+[^\\s?#]*$',
    patternErrorMessage: 'must be an http(s) URL such as http://schema-registry:8081, or null to disable Avro decoding',
    default: defaults.schemaRegistry.url,
  },
  username: { description: 'Basic-auth username for the registry. Env: SCHEMA_REGISTRY_USERNAME.', type: ['string', 'null'], minLength: 1, default: null },
  password: {
    description: 'Basic-auth password for the registry. Env: SCHEMA_REGISTRY_PASSWORD (preferred over the file). Secret: redacted in output.',
    type: ['string', 'null'],
    minLength: 1,
    default: null,
  },
});

const braze = object('Braze REST API: where to send, with which key, and how hard to push.', {
  restEndpoint: {
    description: 'Your Braze instance\'s REST base URL, e.g. https://rest.iad-01.braze.com or https://rest.fra-01.braze.eu. Required. Env: BRAZE_REST_ENDPOINT.',
    type: ['string', 'null'],
    pattern: '^https?://[^\\s/?#@]+/?$',
    patternErrorMessage: 'must be your Braze instance\'s REST base URL with no path, e.g. https://rest.iad-01.braze.com',
    default: null,
  },
  apiKey: {
    description: 'Braze REST API key with the users.track, users.export.ids, users.alias.new, users.identify and subscription.* permissions. Required. Prefer the env var BRAZE_API_KEY to keeping it in the file. Secret: redacted in output.',
    type: ['string', 'null'],
    minLength: 1,
    pattern: '^[^\\s"\']+$',
    patternErrorMessage: 'must be the key exactly as the Braze dashboard shows it, without quotes, spaces, line breaks or a "Bearer " prefix (Braze answers 401 Unauthorized to a quoted key)',
    default: null,
  },
  objectLimitMode: {
    description: '"combined": at most maxObjectsPerRequest attributes + events + purchases in total per /users/track request (Braze\'s current default). "legacy": up to that many per array, for workspaces on legacy rate limits.',
    enum: ['combined', 'legacy'],
    default: defaults.braze.objectLimitMode,
  },
  maxObjectsPerRequest: integer('Most objects per /users/track request (Braze allows 75).', defaults.braze.maxObjectsPerRequest, { minimum: 1, maximum: 75 }),
  maxBatchBytes: integer('Most bytes of JSON body per request.', defaults.braze.maxBatchBytes, { minimum: 1024 }),
  lingerMs: integer('How long a partly filled batch waits for more ops before it is sent.', defaults.braze.lingerMs, { minimum: 0 }),
  maxConcurrentRequests: integer('Most Braze requests in flight at once from this instance, per endpoint group. Below it the number adapts: as many as the rate budget can use at the observed latency (rate x latency, with a margin), at least 8; halved after a failed request (5xx or network error; a 429 pauses the rate budget instead), never below 8, and grown back by one per answer. Lower it to cap connections.', defaults.braze.maxConcurrentRequests, { minimum: 1 }),
  requestTimeoutMs: integer('Timeout for one Braze request, after which it is retried.', defaults.braze.requestTimeoutMs, { minimum: 1 }),
  retry: object('Retries of Braze requests that met infrastructure trouble (5xx, 429, timeouts, network errors): exponential backoff with full jitter, for as long as it takes by default, so an outage waits instead of dead-lettering.', {
    maxAttempts: { description: 'Attempts per op, the first included, after which it is dead-lettered (braze_retries_exhausted). null: no limit.', type: ['integer', 'null'], minimum: 1, default: defaults.braze.retry.maxAttempts },
    maxElapsedMs: { description: 'Dead-letter an op once this long has passed since its first failure. null: no limit (wait out any outage).', type: ['integer', 'null'], minimum: 1, default: defaults.braze.retry.maxElapsedMs },
    baseMs: integer('Backoff before the first retry; doubles each attempt.', defaults.braze.retry.baseMs, { minimum: 1 }),
    maxMs: integer('Longest backoff between attempts; at least baseMs.', defaults.braze.retry.maxMs, { minimum: 1 }),
  }, { default: { ...defaults.braze.retry } }),
  ambiguityWindowMs: integer('How long a Braze request whose outcome is unknown (timed out, connection lost after sending) may still land. Its ops are sent again only after this, and records of a partition this instance takes over (whose previous owner may have requests in flight) wait this long after the assignment before their first send. 0 turns both waits off.', defaults.braze.ambiguityWindowMs, { minimum: 0 }),
  rateLimits: object(
    'Braze rate limits per endpoint group, for the whole workspace. Lower them when other systems share the workspace.',
    Object.fromEntries(BRAZE_RATE_LIMIT_KEYS.map((key) => [key, rateLimit(key)])),
  ),
  rateLimitShare: {
    description: 'Fraction of each rate limit this instance may use. "auto": 1 / the number of members in the consumer group, computed by the engine.',
    type: ['number', 'string'],
    exclusiveMinimum: 0,
    maximum: 1,
    pattern: '^auto$',
    errorMessage: 'must be "auto" or a number greater than 0 and at most 1',
    examples: ['auto', 0.5],
    default: defaults.braze.rateLimitShare,
  },
  identity: object('The identity resolver: look-ups by email (/users/export/ids) and the cache that spares its small budget (rateLimits["users.export.ids"]).', {
    cacheMaxEntries: integer('Most emails whose answer is remembered (least recently used forgotten first). 0 turns the cache off.', defaults.braze.identity.cacheMaxEntries, { minimum: 0 }),
    foundTtlMs: integer('How long a found profile, or one this instance created, is trusted without asking Braze again.', defaults.braze.identity.foundTtlMs, { minimum: 0 }),
    notFoundTtlMs: integer('How long "no profile has this email" is trusted. Keep it short: another system may create the profile.', defaults.braze.identity.notFoundTtlMs, { minimum: 0 }),
  }, { default: { ...defaults.braze.identity } }),
});

const topics = object('Kafka topic names. Defaults follow topics.md.', {
  ...Object.fromEntries(
    [...INPUT_TOPIC_KEYS, ...OUTPUT_TOPIC_KEYS].map((key) => [key, { description: TOPIC_DESCRIPTIONS[key], ...TOPIC_NAME, default: defaults.topics[key] }]),
  ),
  consume: {
    description: 'Which input topics this instance consumes, by key of `topics` (not by topic name).',
    type: 'array',
    minItems: 1,
    uniqueItems: true,
    items: { enum: [...INPUT_TOPIC_KEYS] },
    default: [...defaults.topics.consume],
  },
});

// Each partner's options schema lives with the partner (src/partners/<name>/options.ts).
const partners = object('Options of the partner mappers.', { ...PARTNER_OPTIONS_SCHEMAS } as Record<string, Schema>);

const ob = defaults.outbound;

function sinkLimits(def: { maxConcurrentRequests: number; rateLimit: { limit: number; windowMs: number } }): Record<string, Schema> {
  return {
    maxConcurrentRequests: integer('Most requests in flight at once to this partner from this instance.', def.maxConcurrentRequests, { minimum: 1 }),
    rateLimit: object('Most requests this instance sends to this partner per window.', {
      limit: integer('Requests allowed per window.', def.rateLimit.limit, { minimum: 1 }),
      windowMs: integer('Length of the window in milliseconds.', def.rateLimit.windowMs, { minimum: 1 }),
    }, { default: { ...def.rateLimit } }),
  };
}

const nullableSecret = (description: string): Schema => ({ description, type: ['string', 'null'], minLength: 1, default: null });

const outbound = object('Braze -> partners: the receiver of Braze webhooks (POST /ingest/braze-events, into topics.brazeEvents) and delivery of topics.brazeEvents to Movable Ink and the Quikly webhook. Consume it by adding "brazeEvents" to topics.consume.', {
  routes: {
    description: 'Which Braze events go where. An event matching no route is skipped (counted in tributary_records_skipped_total{reason="no_route"}), not dead-lettered. An event may match several routes.',
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['event', 'to'],
      properties: {
        event: nonEmptyString('The Braze event name, exactly as Braze sends it (e.g. "Product Viewed").'),
        to: { description: 'The destination.', enum: ['movableInk', 'quiklyWebhook'] },
        type: { description: 'Movable Ink only: "track" (default) or "identify".', enum: ['track', 'identify'] },
        qScope: nonEmptyString('Quikly only, required: the activation scope id, sent as q_scope.'),
        eventId: nonEmptyString('Quikly only, required: the Quikly event id, sent as event.'),
        allowContactValues: { description: 'Movable Ink only: keep property values that look like an email address or a phone number (dropped by default).', type: 'boolean' },
      },
    },
    examples: [[{ event: 'Product Viewed', to: 'movableInk' }, { event: 'Account Created', to: 'movableInk', type: 'identify' }, { event: 'App Login', to: 'quiklyWebhook', qScope: 'spring-2026', eventId: 'app_login' }]],
    default: [],
  },
  allowInsecure: { description: 'Allow http:// partner URLs. Only for the sandbox and tests: HTTPS is required otherwise.', type: 'boolean', default: ob.allowInsecure },
  requestTimeoutMs: integer('Timeout for one partner request, after which it is retried.', ob.requestTimeoutMs, { minimum: 1 }),
  movableInk: object('Movable Ink\'s Customer Data API.', {
    url: {
      description: 'The full behavioral URL Movable Ink gives you (https://.../behavioral/<key>). Required when a route goes to movableInk.',
      type: ['string', 'null'],
      pattern: '^https?://\\S+$',
      patternErrorMessage: 'must be an http(s) URL, e.g. https://collector.movableink.example/behavioral/KEY',
      default: null,
    },
    username: { description: 'Basic-auth user name. Env: MOVABLE_INK_USERNAME.', type: ['string', 'null'], minLength: 1, default: null },
    password: nullableSecret('Basic-auth password. Env: MOVABLE_INK_PASSWORD (preferred over the file). Secret: redacted in output.'),
    userIdProperty: { description: 'An event property holding the user id Movable Ink knows (its mi_u), used instead of external_id when present. null: external_id.', type: ['string', 'null'], minLength: 1, default: null },
    knownUsersOnly: { description: 'Skip events without a user id (skip reason movable_ink_unknown_user) instead of sending them with an anonymous id.', type: 'boolean', default: ob.movableInk.knownUsersOnly },
    stripProperties: {
      description: 'Event properties never sent to Movable Ink (compared case-insensitively).',
      type: 'array',
      items: { type: 'string', minLength: 1 },
      default: [...ob.movableInk.stripProperties],
    },
    ...sinkLimits(ob.movableInk),
  }),
  quiklyWebhook: object('The Quikly webhook.', {
    url: {
      description: 'The webhook URL.',
      type: 'string',
      pattern: '^https?://\\S+$',
      patternErrorMessage: 'must be an http(s) URL such as https://api.quikly.com/webhook/braze',
      default: ob.quiklyWebhook.url,
    },
    token: nullableSecret('The partner token, sent as Authorization: Bearer. Env: QUIKLY_API_KEY (preferred over the file). Required when a route goes to quiklyWebhook. Secret: redacted in output.'),
    ...sinkLimits(ob.quiklyWebhook),
  }),
  receiver: object('POST /ingest/braze-events: Braze webhook campaigns post their events here, and they land in topics.brazeEvents.', {
    enabled: { description: 'Serve the receiver.', type: 'boolean', default: ob.receiver.enabled },
    port: { description: 'Its own port; null serves it on the observability server (observability.port). 0 picks a free port.', type: ['integer', 'null'], minimum: 0, maximum: 65535, default: ob.receiver.port },
    host: nonEmptyString('Address its own port listens on (with receiver.port).', ob.receiver.host),
    token: nullableSecret('The Bearer token Braze sends. Env: BRAZE_EVENTS_TOKEN (preferred over the file). Required when enabled. Secret: redacted in output.'),
    maxBodyBytes: integer('Largest request body accepted; larger ones get 413.', ob.receiver.maxBodyBytes, { minimum: 1 }),
  }),
});

const pipeline = object('The engine between Kafka and Braze.', {
  maxInFlightOps: integer('Fetching pauses when this many ops are queued or in flight, which bounds memory.', defaults.pipeline.maxInFlightOps, { minimum: 1 }),
  shutdownTimeoutMs: integer('On shutdown, how long in-flight work may finish before the process exits (uncommitted records are redelivered).', defaults.pipeline.shutdownTimeoutMs, { minimum: 1 }),
  commitIntervalMs: integer('How often delivered offsets are committed to Kafka.', defaults.pipeline.commitIntervalMs, { minimum: 1 }),
});

const observability = object('Metrics, health endpoints and logs.', {
  host: nonEmptyString('Address the metrics and health HTTP server listens on.', defaults.observability.host),
  port: {
    description: 'Port of the metrics and health HTTP server. 0 picks a free port; null disables the server. Env: TRIBUTARY_METRICS_PORT ("off" disables).',
    type: ['integer', 'null'],
    minimum: 0,
    maximum: 65535,
    default: defaults.observability.port,
  },
  logLevel: {
    description: 'Least severe level logged. Env: TRIBUTARY_LOG_LEVEL.',
    enum: [...LOG_LEVELS],
    default: defaults.observability.logLevel,
  },
});

export const CONFIG_SCHEMA: object = deepFreeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  $comment: 'Generated from src/config/config-schema.ts; edit that file, then run `npx vitest run test/unit/config/config-schema.test.ts --update`.',
  title: 'tributary configuration',
  description: 'Configuration of tributary, which streams partner data from Kafka into Braze. Every key is optional; see docs/configuration.md.',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { description: 'Path or URL of this JSON Schema, for editors. Ignored by tributary.', type: 'string' },
    kafka,
    schemaRegistry,
    braze,
    topics,
    partners,
    outbound,
    pipeline,
    observability,
  },
});
