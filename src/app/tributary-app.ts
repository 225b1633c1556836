import { Registry } from 'prom-client';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { TributaryConfig } from '../config/index.js';
import { TributaryError } from '../core/errors.js';
import { kindOfTopicKey, topicHandler, type InputTopicKind } from '../partners/index.js';
import { PipelineEngine, type PipelineEngineOptions, type TopicHandler } from '../pipeline/engine.js';
import type { BrazeTransport, Clock, DeadLetterWriter, OffsetCommitter, PipelineObserver, RecordProducer } from '../core/ports.js';
import { systemClock } from '../adapters/system-clock.js';
import { createBrazeTransport } from '../adapters/braze/braze-transport.js';
import { createPartnerTransport } from '../adapters/partners/partner-transport.js';
import { startStateTopicReader, type StateTopicReader } from '../adapters/kafka/state-topic-reader.js';
import { MovableInkContinuity } from '../core/movable-ink-continuity.js';
import type { PartnerSinksOptions } from '../pipeline/engine.js';
import { brazeEventsReceiver, RECEIVER_PATH, startReceiverServer, type ReceiverServer } from '../adapters/receiver/braze-events-receiver.js';
import { readReceivedBody, type ReceivedEvent } from '../partners/braze-events/receiver-body.js';
import type { RequestListener } from 'node:http';
import { createKafka } from '../adapters/kafka/kafka-client.js';
import { KafkaSource } from '../adapters/kafka/kafka-source.js';
import { checkTopics, connectAdmin, type RequiredTopic } from '../adapters/kafka/topic-check.js';
import { createDeadLetterWriter } from '../adapters/kafka/dead-letter-writer.js';
import { createRecordProducer } from '../adapters/kafka/record-producer.js';
import { fileURLToPath } from 'node:url';
import { RecordDecoder } from '../adapters/schema-registry/record-decoder.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createMetrics, type Metrics } from '../observability/metrics.js';
import { metricsObserver } from './metrics-observer.js';
import { startObservabilityServer, type ObservabilityServer } from '../observability/http-server.js';


/**
 * The topics this release consumes, by name, with the mapper kind of each. Throws for a configured
 * input topic that no mapper reads yet, so `config check` and `run` refuse it the same way.
 */
export function consumedTopics(config: TributaryConfig): Map<string, InputTopicKind> {
  const topics = new Map<string, InputTopicKind>();
  const unsupported: string[] = [];
  for (const key of config.topics.consume) {
    const kind = kindOfTopicKey(key);
    if (kind) topics.set(config.topics[key], kind);
    else unsupported.push(key);
  }
  if (unsupported.length > 0) {
    throw new TributaryError('config_invalid', `topics.consume: ${unsupported.join(', ')} ${unsupported.length === 1 ? 'is' : 'are'} not consumed by this release; remove ${unsupported.length === 1 ? 'it' : 'them'} from topics.consume`);
  }
  // Quikly's delayed steps come back through tributary's own topic: whoever reads activations reads it too.
  if (config.topics.consume.includes('quiklyActivations')) topics.set(config.topics.quiklyDelayed, 'quikly.delayed');
  return topics;
}

/**
 * Every topic `run` needs before it starts: the ones it consumes, the dead-letter topic, and Quikly's credits
 * topic when it consumes activations (the delayed topic is among the consumed ones then).
 */
export function requiredTopics(config: TributaryConfig): RequiredTopic[] {
  const out: RequiredTopic[] = [];
  for (const name of consumedTopics(config).keys()) {
    out.push(name === config.topics.quiklyDelayed && config.topics.consume.includes('quiklyActivations')
      ? { name, role: 'Quikly delayed steps, consumed and produced', configs: { 'cleanup.policy': 'delete' } }
      : { name, role: 'consumed' });
  }
  out.push({ name: config.topics.deadLetter, role: 'dead letters' });
  if (config.topics.consume.includes('quiklyActivations')) out.push({ name: config.topics.quiklyCredits, role: 'Quikly credits, produced' });
  const mi = config.outbound.movableInk;
  if (config.topics.consume.includes('brazeEvents') && mi.url !== null && mi.username !== null && mi.password !== null) {
    out.push({ name: config.topics.movableInkState, role: 'Movable Ink user id continuity, produced and read back', configs: { 'cleanup.policy': 'compact' } });
  }
  return out;
}

/** The outbound sinks the configuration sets up: a partner with its URL and credentials gets one. */
function partnerSinks(config: TributaryConfig, transport: PartnerSinksOptions['transport'], continuity: MovableInkContinuity): PartnerSinksOptions {
  const { movableInk: mi, quiklyWebhook: qw } = config.outbound;
  return {
    transport,
    ...(mi.url !== null && mi.username !== null && mi.password !== null
      ? { movableInk: { options: { url: mi.url, username: mi.username, password: mi.password }, rate: mi.rateLimit, maxConcurrentRequests: mi.maxConcurrentRequests, continuity } }
      : {}),
    ...(qw.token !== null ? { quiklyWebhook: { options: { url: qw.url, token: qw.token }, rate: qw.rateLimit, maxConcurrentRequests: qw.maxConcurrentRequests } } : {}),
  };
}

/** The Avro schemas shipped beside the code (schemas/ at the package root, from src/app or dist/app). */
const SCHEMA_FILE = (name: string): string => fileURLToPath(new URL(`../../schemas/${name}.avsc`, import.meta.url));

/** The kafkajs client of a configuration, its own log lines bridged into `log`. */
export function kafkaClientOf(config: TributaryConfig, log: Logger): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  return createKafka({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    connectionTimeoutMs: config.kafka.connectionTimeoutMs,
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    ssl: config.kafka.ssl,
    sasl: config.kafka.sasl,
    log: (level, message, extra) => kafkaLog[level](extra, message),
  });
}

/** What the engine needs that is not in the configuration: connections, time, and where its results go. */
export interface EngineParts {
  /** The kafkajs producer the dead letters and tributary's own topics are written with. */
  readonly producer: Producer;
  readonly transport: BrazeTransport;
  readonly committer: OffsetCommitter;
  readonly clock: Clock;
  readonly random: () => number;
  readonly observer: PipelineObserver;
  readonly log: Logger;
  /** Replaces the topic handlers of the configuration (for example to filter their ops). */
  readonly topics?: ReadonlyMap<string, TopicHandler>;
  /** Replaces the dead-letter writer on the configured topic. */
  readonly deadLetters?: DeadLetterWriter;
  /** Replaces the writer of tributary's own topics. */
  readonly recordProducer?: RecordProducer;
  /** The outbound partner sinks (Movable Ink, the Quikly webhook) that are configured. */
  readonly partners?: PartnerSinksOptions;
  readonly configRetryMs?: number;
}

/**
 * The engine options a configuration gives: the topic handlers, the decoder, the dead-letter and record
 * writers, and the Braze sinks with their batching, retry and rate settings. `run`, `replay` and
 * `dlq redrive` all build their engine from this, so they decode, map and deliver alike.
 */
export function engineOptions(config: TributaryConfig, parts: EngineParts): PipelineEngineOptions {
  const limits = config.braze.rateLimits;
  const topics = parts.topics ?? new Map<string, TopicHandler>([...consumedTopics(config)].map(([name, kind]) => [name, topicHandler(kind, config.partners, config.outbound)]));
  return {
    topics,
    decoder: new RecordDecoder({
      registryUrl: config.schemaRegistry.url,
      username: config.schemaRegistry.username,
      password: config.schemaRegistry.password,
    }),
    deadLetters: parts.deadLetters ?? createDeadLetterWriter(parts.producer, config.topics.deadLetter),
    producer: parts.recordProducer ?? createRecordProducer(parts.producer, {
      topics: { quiklyCredits: config.topics.quiklyCredits, quiklyDelayed: config.topics.quiklyDelayed, movableInkState: config.topics.movableInkState },
      avroTopics: config.partners.quikly.creditsFormat === 'avro' ? new Map([['quiklyCredits', { schemaFile: SCHEMA_FILE('quikly.credits') }]]) : new Map(),
      registry: { url: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password },
      now: () => parts.clock.now(),
    }),
    ...(parts.partners ? { partners: parts.partners } : {}),
    committer: parts.committer,
    braze: {
      transport: parts.transport,
      track: {
        mode: config.braze.objectLimitMode,
        maxObjects: config.braze.maxObjectsPerRequest,
        maxBytes: config.braze.maxBatchBytes,
        lingerMs: config.braze.lingerMs,
      },
      retry: {
        maxAttempts: config.braze.retry.maxAttempts ?? Number.MAX_SAFE_INTEGER,
        ...(config.braze.retry.maxElapsedMs === null ? {} : { maxElapsedMs: config.braze.retry.maxElapsedMs }),
        baseMs: config.braze.retry.baseMs,
        maxMs: config.braze.retry.maxMs,
      },
      ambiguityWindowMs: config.braze.ambiguityWindowMs,
      rates: { track: limits['users.track'], exportIds: limits['users.export.ids'], subscriptionGet: limits.default, subscriptionSet: limits['subscription.set'] },
      rateShare: config.braze.rateLimitShare === 'auto' ? 1 : config.braze.rateLimitShare,
      maxConcurrentRequests: config.braze.maxConcurrentRequests,
      identity: { maxEntries: config.braze.identity.cacheMaxEntries, foundTtlMs: config.braze.identity.foundTtlMs, notFoundTtlMs: config.braze.identity.notFoundTtlMs },
      ...(parts.configRetryMs === undefined ? {} : { configRetryMs: parts.configRetryMs }),
    },
    maxInFlightOps: config.pipeline.maxInFlightOps,
    commitIntervalMs: config.pipeline.commitIntervalMs,
    heartbeatEveryMs: Math.max(100, Math.floor(config.kafka.heartbeatIntervalMs / 2)),
    clock: parts.clock,
    random: parts.random,
    observer: parts.observer,
    log: parts.log.child({ component: 'pipeline' }),
  };
}

export interface AppDeps {
  readonly logger?: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** How long to wait before probing Braze again after a 401/403/404. */
  readonly configRetryMs?: number;
  /** How often missing topics are looked for again with kafka.waitForTopics. */
  readonly topicPollMs?: number;
  /** How long the receiver waits for Kafka's acknowledgement before answering 503 (default 10 s). */
  readonly receiverProduceTimeoutMs?: number;
}

export type AppState = 'starting' | 'running' | 'paused-config' | 'stopping' | 'stopped' | 'crashed';

export interface TributaryApp {
  readonly metricsUrl: string | null;
  /** The full URL of POST /ingest/braze-events, when the receiver is enabled. */
  readonly receiverUrl: string | null;
  readonly metrics: Metrics;
  readonly registry: Registry;
  state(): AppState;
  /** Resolves when the app stops on its own (consumer crash) or through stop(). */
  readonly finished: Promise<void>;
  /** Graceful: stop fetching, flush, wait for in-flight requests (bounded), commit, leave the group. */
  stop(): Promise<void>;
}

/** The same writer, counting each failed write (the dead-letter queue retries it). */
function countingFailures(writer: DeadLetterWriter, onFailure: () => void): DeadLetterWriter {
  return {
    write: async (letters) => {
      try {
        await writer.write(letters);
      } catch (err) {
        onFailure();
        throw err;
      }
    },
  };
}

/** The composition root: builds every component, owns the start-up and shutdown order. */
export async function startTributary(config: TributaryConfig, deps: AppDeps = {}): Promise<TributaryApp> {
  const log = deps.logger ?? createLogger({ level: config.observability.logLevel });
  const registry = deps.registry ?? new Registry();
  const metrics = createMetrics(registry);
  const observer = metricsObserver(metrics);
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;

  const { restEndpoint, apiKey } = config.braze;
  if (!restEndpoint || !apiKey) {
    throw new TributaryError('config_invalid', 'braze.restEndpoint and braze.apiKey are required: set BRAZE_REST_ENDPOINT and BRAZE_API_KEY');
  }
  const topics = consumedTopics(config);

  let state: AppState = 'starting';
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const setState = (s: AppState) => {
    state = s;
    metrics.ready.set(s === 'running' ? 1 : 0);
  };
  setState('starting');

  /**
   * Ready only while consuming and delivering: not while starting or stopping, Braze refuses the configuration
   * or keeps failing, the registry is needed and unreachable, or Kafka stopped answering fetches.
   */
  const NOT_READY_CAUSES = ['state', 'braze_config', 'braze_unavailable', 'schema_registry', 'kafka'] as const;
  const readiness = () => {
    const schemaRegistry = engine?.decodeProblem ?? null;
    const braze = engine?.sinks.configProblem ?? null;
    const unavailable = engine?.sinks.unavailable ?? [];
    const sinceFetch = sourceRef?.sinceLastFetchMs(clock.now()) ?? null;
    const kafkaStale = state === 'running' && sinceFetch !== null && sinceFetch > kafkaStaleMs;
    const causes = { state: state !== 'running', braze_config: braze !== null, braze_unavailable: unavailable.length > 0, schema_registry: schemaRegistry !== null, kafka: kafkaStale };
    for (const cause of NOT_READY_CAUSES) metrics.notReady.set({ cause }, causes[cause] ? 1 : 0);
    return {
      ok: !Object.values(causes).some(Boolean),
      detail: {
        state,
        ...(braze ? { braze } : {}),
        ...(unavailable.length > 0 ? { brazeUnavailable: unavailable } : {}),
        ...(schemaRegistry ? { schemaRegistry } : {}),
        ...(kafkaStale ? { kafka: `no fetch completed for ${sinceFetch} ms: the brokers (${config.kafka.brokers.join(', ')}) are not answering` } : {}),
      },
    };
  };
  // Kafka counts as away when no fetch (each one returns within maxWaitTimeMs even when empty) completed for this long.
  const kafkaStaleMs = Math.max(10_000, 5 * config.kafka.maxWaitTimeMs + config.kafka.requestTimeoutMs);
  let sourceRef: KafkaSource | null = null;
  // The receiver answers 503 until the producer is connected.
  let landEvents: ((events: readonly ReceivedEvent[]) => Promise<void>) | null = null;
  const receiverConfig = config.outbound.receiver;
  let receiver: RequestListener | null = null;
  if (receiverConfig.enabled) {
    if (receiverConfig.token === null) throw new TributaryError('config_invalid', 'outbound.receiver.token is required when the receiver is enabled: set BRAZE_EVENTS_TOKEN');
    const receiverLog = log.child({ component: 'receiver' });
    receiver = brazeEventsReceiver({
      token: receiverConfig.token,
      read: readReceivedBody,
      maxBodyBytes: receiverConfig.maxBodyBytes,
      produce: (events) => (landEvents ? landEvents(events) : Promise.reject(new Error('the Kafka producer is not connected yet'))),
      ...(deps.receiverProduceTimeoutMs === undefined ? {} : { produceTimeoutMs: deps.receiverProduceTimeoutMs }),
      onAnswer: (status, events) => {
        metrics.receiverRequests.inc({ status: String(status) });
        if (events > 0) metrics.receiverEvents.inc(events);
      },
      onProduceError: (message) => receiverLog.warn({ err: message }, 'Braze events could not be written to Kafka; answered 503'),
    });
  }
  let receiverServer: ReceiverServer | null = null;
  if (receiver && receiverConfig.port !== null) receiverServer = await startReceiverServer(receiverConfig.host, receiverConfig.port, receiver);

  let server: ObservabilityServer | null = null;
  if (config.observability.port !== null) {
    server = await startObservabilityServer({
      host: config.observability.host,
      port: config.observability.port,
      ...(receiver && receiverConfig.port === null ? { routes: new Map([[RECEIVER_PATH, receiver]]) } : {}),
      registry,
      health: {
        healthy: () => ({ ok: state !== 'crashed', detail: { state } }),
        ready: () => readiness(),
      },
    });
  }

  const kafka = kafkaClientOf(config, log);
  const transport = createBrazeTransport({
    restEndpoint,
    apiKey,
    requestTimeoutMs: config.braze.requestTimeoutMs,
    connections: config.braze.maxConcurrentRequests,
  });
  // The partitioner kafkajs 2 uses by default anyway (Java-compatible murmur2), named so it does not warn at every start.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const source = new KafkaSource(kafka, {
    groupId: config.kafka.groupId,
    topics: [...topics.keys()],
    startFrom: config.kafka.startFrom,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    rebalanceTimeoutMs: config.kafka.rebalanceTimeoutMs,
    heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
    maxWaitTimeMs: config.kafka.maxWaitTimeMs,
    maxBytesPerPartition: config.kafka.maxBytesPerPartition,
    maxBytesPerFetch: config.kafka.maxBytesPerFetch,
  });
  sourceRef = source;
  const partnerTransport = createPartnerTransport({ requestTimeoutMs: config.outbound.requestTimeoutMs, connections: Math.max(config.outbound.movableInk.maxConcurrentRequests, config.outbound.quiklyWebhook.maxConcurrentRequests) });
  const continuity = new MovableInkContinuity();
  const partners = partnerSinks(config, partnerTransport, continuity);
  // Movable Ink's user id continuity is read back from its compacted topic before braze.events is consumed.
  const followsContinuity = partners.movableInk !== undefined && config.topics.consume.includes('brazeEvents');
  let stateReader: StateTopicReader | null = null;
  let engine: PipelineEngine | null = null;
  engine = new PipelineEngine({
    ...engineOptions(config, {
      producer,
      partners,
      deadLetters: countingFailures(createDeadLetterWriter(producer, config.topics.deadLetter), () => metrics.deadLetterWriteFailures.inc()),
      transport,
      committer: { commit: (offsets) => source.commit(offsets) },
      clock,
      random,
      observer,
      log,
      ...(deps.configRetryMs === undefined ? {} : { configRetryMs: deps.configRetryMs }),
    }),
    onAvailability: (endpoint, available) => {
      metrics.brazeUnavailable.set({ endpoint }, available ? 0 : 1);
    },
    onConfigProblem: (problem) => {
      metrics.brazeConfigError.set(problem ? 1 : 0);
      if (problem && (state === 'running' || state === 'starting')) {
        setState('paused-config');
        source.pause();
      } else if (!problem && state === 'paused-config') {
        setState('running');
        source.resume();
      }
    },
  });
  const pipeline = engine;
  for (const endpoint of pipeline.sinks.endpoints) metrics.brazeUnavailable.set({ endpoint }, 0);
  // The readiness gauges follow causes that come and go between scrapes.
  const readinessTimer = setInterval(() => {
    const { ok } = readiness();
    metrics.ready.set(ok ? 1 : 0);
  }, 1000);
  readinessTimer.unref();
  metrics.watchSchemaRegistry(() => pipeline.decodeProblem !== null);

  let stopping: Promise<void> | null = null;
  const step = async (what: string, fn: () => Promise<unknown> | unknown) => {
    try {
      await fn();
    } catch (err) {
      log.warn({ err: (err as Error).message }, `${what} failed during shutdown`);
    }
  };
  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      const crashed = state === 'crashed';
      if (!crashed) setState('stopping');
      source.pause();
      const { drained } = await pipeline.shutdown(config.pipeline.shutdownTimeoutMs);
      if (!drained) log.warn({ opsInFlight: pipeline.opsInFlight }, 'shutdown ended with work undelivered; it stays uncommitted and will be delivered again');
      await step('leaving the consumer group', () => source.stop());
      await step('closing the continuity state reader', () => stateReader?.stop());
      landEvents = null;
      await step('closing the receiver', () => receiverServer?.close());
      await step('closing the dead-letter producer', () => producer.disconnect());
      await step('closing the Braze connections', () => transport.close());
      await step('closing the partner connections', () => partnerTransport.close());
      await step('closing the metrics server', () => server?.close());
      clearInterval(readinessTimer);
      if (!crashed) setState('stopped');
      finish();
    })();
    return stopping;
  };

  let shareAsked = 0;
  try {
    const admin = kafka.admin();
    await connectAdmin(admin, config.kafka.brokers);
    try {
      await checkTopics(admin, requiredTopics(config), {
        brokers: config.kafka.brokers,
        wait: config.kafka.waitForTopics,
        ...(deps.topicPollMs === undefined ? {} : { pollMs: deps.topicPollMs }),
        onWaiting: (missing) => log.warn({ missing: missing.map((t) => t.name) }, 'waiting for topics to be created (kafka.waitForTopics)'),
      });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await producer.connect();
    if (followsContinuity) {
      stateReader = await startStateTopicReader(kafka, {
        topic: config.topics.movableInkState,
        groupPrefix: `${config.kafka.groupId}.state`,
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
        maxWaitTimeMs: config.kafka.maxWaitTimeMs,
      }, (key, value) => continuity.restore(key, value));
      await stateReader.caughtUp;
      log.info({ people: continuity.size }, 'Movable Ink continuity state restored');
    }
    const eventsTopic = config.topics.brazeEvents;
    landEvents = async (events) => {
      await producer.send({ topic: eventsTopic, acks: -1, messages: events.map((e) => ({ key: e.key, value: JSON.stringify(e.value) })) });
    };
    await source.start({
      onBatch: (topic, partition, records, control, highWatermark) => pipeline.handleBatch(topic, partition, records, control, highWatermark),
      onAssignment: () => {
        metrics.rebalances.inc();
        pipeline.onAssignment();
        if (state === 'starting') setState('running');
        // A kafkajs restart builds a new consumer group, which forgets a pause.
        if (state === 'paused-config') source.pause();
        if (config.braze.rateLimitShare === 'auto') {
          const asked = ++shareAsked;
          void source.memberCount().then((n) => {
            if (n && asked === shareAsked) pipeline.sinks.setRateShare(1 / n);
          });
        }
      },
      onRebalancing: () => void pipeline.commitNow(),
      onCrash: (err) => {
        log.error({ err: err.message }, 'the Kafka consumer stopped and will not restart; exiting');
        setState('crashed');
        stop().catch((e: Error) => log.error({ err: e.message }, 'shutdown after the crash failed'));
      },
    });
  } catch (err) {
    setState('crashed');
    await stop().catch(() => undefined);
    throw err;
  }

  const receiverUrl = receiverServer?.url ?? (receiver && server ? `${server.url}${RECEIVER_PATH}` : null);
  return {
    metricsUrl: server?.url ?? null,
    receiverUrl,
    metrics,
    registry,
    state: () => state,
    finished,
    stop,
  };
}
