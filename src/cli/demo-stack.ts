/**
 * The whole product on the embedded sandbox, in one process: the sandbox stack, the topics, the schemas,
 * and tributary itself configured against them. Used by `tributary demo` (npm start) and the benchmarks.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { defaultConfig, loadConfig, type DeepPartial, type TributaryConfig, type InputTopicKey } from '../config/index.js';
import { createTopicsServed, waitForLeaders } from '../adapters/kafka/topic-check.js';
import { requiredTopics, startTributary, type TributaryApp, type AppDeps } from '../app/tributary-app.js';
import { SAMPLE_KOMO_HUB_CONFIG, type SampleRecord } from '../app/sample-records.js';
import { encodeAvro, publishSchemas, readTopicSchemas, type PublishedSchema } from '../adapters/schema-registry/schema-publisher.js';
import {
  startBrazeSandbox,
  startKafkaSandbox,
  startSchemaRegistry,
  type BrazeSandbox,
  type BrazeSandboxOptions,
  type KafkaSandbox,
  type KafkaSandboxOptions,
} from '@tributary/sandbox';

export const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

export interface DemoStackOptions {
  /** Use these brokers (real Kafka) instead of starting the embedded broker. */
  readonly kafkaBrokers?: readonly string[];
  /** Use this Schema Registry instead of starting the embedded one. */
  readonly schemaRegistryUrl?: string;
  readonly kafka?: Omit<KafkaSandboxOptions, 'host' | 'port'>;
  readonly braze?: Omit<BrazeSandboxOptions, 'host' | 'port'>;
  readonly partitions?: number;
  readonly overrides?: DeepPartial<TributaryConfig>;
  readonly deps?: AppDeps;
}

export interface DemoStack {
  readonly brokers: readonly string[];
  /** The embedded broker, when the stack started one (tests stop it to see what happens without Kafka). */
  readonly kafkaSandbox: KafkaSandbox | null;
  readonly schemaRegistryUrl: string;
  /** The Braze API sandbox tributary delivers to. */
  readonly braze: BrazeSandbox;
  readonly app: TributaryApp;
  readonly config: TributaryConfig;
  readonly schemas: Map<string, PublishedSchema>;
  /** Produces records to their configured topics; `avroShare` of them Avro, the rest JSON. */
  produce(records: readonly SampleRecord[], avroShare?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startDemoStack(options: DemoStackOptions = {}): Promise<DemoStack> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  let producer: Producer | null = null;
  let app: TributaryApp | null = null;
  try {
    let brokers = options.kafkaBrokers;
    let kafkaSandbox: KafkaSandbox | null = null;
    if (!brokers) {
      const started = await startKafkaSandbox({ ...options.kafka });
      kafkaSandbox = started;
      closers.push(() => started.close());
      brokers = started.brokers;
    }
    let registryUrl = options.schemaRegistryUrl;
    if (!registryUrl) {
      const registry = await startSchemaRegistry();
      closers.push(() => registry.close());
      registryUrl = registry.url;
    }
    const braze = await startBrazeSandbox({ ...options.braze });
    closers.push(() => braze.close());
    const overrides = options.overrides ?? {};
    const config = await loadConfig({
      env: {},
      overrides: {
        ...overrides,
        kafka: { groupId: 'tributary-demo', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, maxWaitTimeMs: 200, ...overrides.kafka, brokers: [...brokers] },
        schemaRegistry: { ...overrides.schemaRegistry, url: registryUrl },
        // Its topics are new, so no earlier owner can have requests in flight: no wait after assignments.
        braze: { restEndpoint: braze.url, apiKey: braze.apiKey, ambiguityWindowMs: 0, ...overrides.braze },
        partners: { ...overrides.partners, komo: { hubs: SAMPLE_KOMO_HUB_CONFIG, ...overrides.partners?.komo } },
        observability: { logLevel: 'warn', ...overrides.observability },
      },
    });
    const kafka = new Kafka({ clientId: 'tributary-demo-producer', brokers: [...brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    // Every topic the app reads or writes: its inputs (Quikly's delayed steps included), the dead letters, the credits.
    const required = requiredTopics(config);
    const topicNames = [...new Set(required.filter((t) => !t.configs).map((t) => t.name))];
    // Topics with their own configs (the compacted continuity topic, the delete-policy delay topic); the state topic
    // also when braze.events is read without Movable Ink configured, so a later configuration finds it.
    const withConfigs = required.filter((t) => t.configs);
    const compacted = config.topics.consume.includes('brazeEvents') && !withConfigs.some((t) => t.name === config.topics.movableInkState) ? [config.topics.movableInkState] : [];
    await createTopicsServed(admin, [
      ...topicNames.map((topic) => ({ topic, numPartitions: options.partitions ?? 3 })),
      ...withConfigs.map((t) => ({ topic: t.name, numPartitions: options.partitions ?? 3, configEntries: Object.entries(t.configs!).map(([name, value]) => ({ name, value })) })),
      ...compacted.map((topic) => ({ topic, numPartitions: options.partitions ?? 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })),
    ]);
    await admin.disconnect();

    // Schemas are registered under the configured topic names (TopicNameStrategy).
    const defaultTopics = defaultConfig().topics as unknown as Record<string, unknown>;
    const defaults = new Map<string, string>();
    for (const [k, v] of Object.entries(config.topics)) if (typeof v === 'string') defaults.set(String(defaultTopics[k]), v);
    const schemas = await publishSchemas(registryUrl, readTopicSchemas(SCHEMAS_DIR), (t) => defaults.get(t) ?? t);

    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    app = await startTributary(config, options.deps);
    const p = producer;
    let flip = 0;
    const produce = async (records: readonly SampleRecord[], avroShare = 0.7) => {
      const byTopic = new Map<string, { key: string; value: Buffer }[]>();
      for (const r of records) {
        const topic = config.topics[r.topicKey as InputTopicKey];
        const schema = schemas.get(topic);
        flip = (flip + avroShare) % 1;
        const asAvro = schema && (avroShare >= 1 || (avroShare > 0 && flip < avroShare));
        const value = asAvro ? encodeAvro(schema!, r.value) : Buffer.from(JSON.stringify(r.value));
        let list = byTopic.get(topic);
        if (!list) byTopic.set(topic, (list = []));
        list.push({ key: r.key, value });
      }
      await p.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    };
    return {
      brokers,
      kafkaSandbox,
      schemaRegistryUrl: registryUrl,
      braze,
      app,
      config,
      schemas,
      produce,
      close: async () => {
        await app?.stop();
        await producer?.disconnect().catch(() => undefined);
        await closeAll();
      },
    };
  } catch (err) {
    await app?.stop().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await closeAll();
    throw err;
  }
}

/** Moved beside the start-up topic check; still exported here for the tests and benchmarks that use it. */
export { createTopicsServed, waitForLeaders };

/** Sums every series of a counter or gauge in the app's registry. */
export async function metricTotal(app: TributaryApp, name: string, filter?: (labels: Record<string, string | number>) => boolean): Promise<number> {
  const metric = app.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => !filter || filter(v.labels as Record<string, string | number>)).reduce((sum, v) => sum + v.value, 0);
}
