import { Registry } from 'prom-client';
import type { Producer } from 'kafkajs';
import type { TributaryConfig } from '../config/index.js';
import { TributaryError } from '../core/errors.js';
import { kindOfTopicKey, topicHandler, type InputTopicKind } from '../partners/index.js';
import { PipelineEngine, type TopicHandler } from '../pipeline/engine.js';
import type { Clock } from '../core/ports.js';
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

export interface AppDeps {
  readonly logger?: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** How long to wait before probing Braze again after a 401/403/404. */
  readonly configRetryMs?: number;
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
        ready: () => {
          const schemaRegistry = engine?.decodeProblem ?? null;
          return {
            ok: state === 'running' && schemaRegistry === null,
            detail: { state, ...(engine?.sinks.configProblem ? { braze: engine.sinks.configProblem } : {}), ...(schemaRegistry ? { schemaRegistry } : {}) },
          };
        },
      },
    });
  }

  const kafkaLog = log.child({ component: 'kafkajs' });
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    connectionTimeoutMs: config.kafka.connectionTimeoutMs,
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    ssl: config.kafka.ssl,
    sasl: config.kafka.sasl,
    log: (level, message, extra) => kafkaLog[level](extra, message),
  });
  const transport = createBrazeTransport({
    restEndpoint,
    apiKey,
    requestTimeoutMs: config.braze.requestTimeoutMs,
    connections: config.braze.maxConcurrentRequests,
  });
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const source = new KafkaSource(kafka, {
    groupId: config.kafka.groupId,
    topics: [...topics.keys()],
    fromBeginning: config.kafka.fromBeginning,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
    rebalanceTimeoutMs: config.kafka.rebalanceTimeoutMs,
    heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
    maxWaitTimeMs: config.kafka.maxWaitTimeMs,
    maxBytesPerPartition: config.kafka.maxBytesPerPartition,
  });
  const limits = config.braze.rateLimits;
  const handlers = new Map<string, TopicHandler>([...topics].map(([name, kind]) => [name, topicHandler(kind, config.partners, config.outbound)]));
  const partnerTransport = createPartnerTransport({ requestTimeoutMs: config.outbound.requestTimeoutMs, connections: Math.max(config.outbound.movableInk.maxConcurrentRequests, config.outbound.quiklyWebhook.maxConcurrentRequests) });
  const continuity = new MovableInkContinuity();
  const partners = partnerSinks(config, partnerTransport, continuity);
  // Movable Ink's user id continuity is read back from its compacted topic before braze.events is consumed.
  const followsContinuity = partners.movableInk !== undefined && config.topics.consume.includes('brazeEvents');
  let stateReader: StateTopicReader | null = null;
  let engine: PipelineEngine | null = null;
  engine = new PipelineEngine({
    topics: handlers,
    decoder: new RecordDecoder({
      registryUrl: config.schemaRegistry.url,
      username: config.schemaRegistry.username,
      password: config.schemaRegistry.password,
    }),
    deadLetters: createDeadLetterWriter(producer, config.topics.deadLetter),
    producer: createRecordProducer(producer, {
      topics: { quiklyCredits: config.topics.quiklyCredits, quiklyDelayed: config.topics.quiklyDelayed, movableInkState: config.topics.movableInkState },
      avroTopics: config.partners.quikly.creditsFormat === 'avro' ? new Map([['quiklyCredits', { schemaFile: SCHEMA_FILE('quikly.credits') }]]) : new Map(),
      registry: { url: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password },
      now: () => clock.now(),
    }),
    committer: { commit: (offsets) => source.commit(offsets) },
    braze: {
      transport,
      track: {
        mode: config.braze.objectLimitMode,
        maxObjects: config.braze.maxObjectsPerRequest,
        maxBytes: config.braze.maxBatchBytes,
        lingerMs: config.braze.lingerMs,
      },
      retry: config.braze.retry,
      rates: { track: limits['users.track'], exportIds: limits['users.export.ids'], subscriptionGet: limits.default, subscriptionSet: limits['subscription.set'] },
      rateShare: config.braze.rateLimitShare === 'auto' ? 1 : config.braze.rateLimitShare,
      maxConcurrentRequests: config.braze.maxConcurrentRequests,
      identity: { maxEntries: config.braze.identity.cacheMaxEntries, foundTtlMs: config.braze.identity.foundTtlMs, notFoundTtlMs: config.braze.identity.notFoundTtlMs },
      ...(deps.configRetryMs === undefined ? {} : { configRetryMs: deps.configRetryMs }),
    },
    partners,
    maxInFlightOps: config.pipeline.maxInFlightOps,
    commitIntervalMs: config.pipeline.commitIntervalMs,
    heartbeatEveryMs: Math.max(100, Math.floor(config.kafka.heartbeatIntervalMs / 2)),
    clock,
    random,
    observer,
    log: log.child({ component: 'pipeline' }),
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
      if (!crashed) setState('stopped');
      finish();
    })();
    return stopping;
  };

  let shareAsked = 0;
  try {
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
