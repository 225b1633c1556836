/**
 * The producer process: writes a dataset to Kafka, Avro-encoded through the Schema Registry, keyed by user.
 * Finite datasets are written as fast as several concurrent kafkajs sends allow; the live one at a fixed rate
 * until SIGTERM or `maxSeconds`. Prints JSON lines: {"progress":n} now and then, {"done":true,...} at the end.
 *
 *   node --import tsx bench/lib/producer-main.ts '<json ProducerJob>'
 */
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import { encodeAvro, publishSchemas, readTopicSchemas, type PublishedSchema } from '../../src/adapters/schema-registry/schema-publisher.js';
import { recordSource, type DatasetSpec } from './datasets.js';
import { ROOT } from './sandbox.js';

export interface ProducerJob {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly dataset: DatasetSpec;
  /** Topic key (topics.<key> of the configuration) -> topic name. */
  readonly topics: Readonly<Record<string, string>>;
  /** Messages per send. */
  readonly batch: number;
  /** Sends in flight at once. */
  readonly inFlight: number;
  /** Live mode: records per second, until SIGTERM or maxSeconds. */
  readonly ratePerSecond?: number;
  readonly maxSeconds?: number;
  /** Write only the records whose index is `index` modulo `count` (several producers share one dataset). */
  readonly shard?: { readonly index: number; readonly count: number };
}

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(job: ProducerJob): Promise<void> {
  const defaults = new Map<string, string>();
  // Schemas are registered under the topic names the records go to (TopicNameStrategy); the orchestrator did so
  // already, so this finds the same ids.
  const files = readTopicSchemas(join(ROOT, 'schemas'));
  const byKey = new Map(Object.entries(job.topics));
  const defaultNames: Record<string, string> = {
    actioniqAudienceMembership: 'actioniq.audience-membership', actioniqUserAttributes: 'actioniq.user-attributes',
    actioniqEvents: 'actioniq.events', extoleEvents: 'extole.events', komoSubmissions: 'komo.submissions', quiklyActivations: 'quikly.activations',
  };
  for (const [key, name] of byKey) if (defaultNames[key]) defaults.set(defaultNames[key]!, name);
  const used = new Map([...files].filter(([name]) => defaults.has(name)));
  const schemas: Map<string, PublishedSchema> = await publishSchemas(job.registryUrl, used, (t) => defaults.get(t) ?? t);

  const kafka = new Kafka({ clientId: 'bench-producer', brokers: [...job.brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const source = recordSource(job.dataset);
  const shard = job.shard ?? { index: 0, count: 1 };
  let seen = 0;
  const next = () => {
    for (;;) {
      const r = source();
      if (r === null || seen++ % shard.count === shard.index) return r;
    }
  };
  let produced = 0;
  let stopping = false;
  process.once('SIGTERM', () => (stopping = true));
  process.once('SIGINT', () => (stopping = true));

  const take = (n: number): Map<string, Message[]> | null => {
    const byTopic = new Map<string, Message[]>();
    let got = 0;
    for (; got < n; got++) {
      const r = next();
      if (r === null) break;
      const topic = job.topics[r.topicKey];
      if (topic === undefined) throw new Error(`no topic for ${r.topicKey}`);
      const schema = schemas.get(topic);
      if (!schema) throw new Error(`no schema registered for ${topic}`);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push({ key: r.key, value: encodeAvro(schema, r.value) });
    }
    return got === 0 ? null : byTopic;
  };
  const send = async (batch: Map<string, Message[]>) => {
    const topicMessages = [...batch].map(([topic, messages]) => ({ topic, messages }));
    await producer.sendBatch({ topicMessages, acks: 1 });
    for (const t of topicMessages) produced += t.messages.length;
  };

  const started = performance.now();
  if (job.ratePerSecond === undefined) {
    let lastReport = 0;
    let exhausted = false;
    const worker = async () => {
      while (!exhausted && !stopping) {
        const batch = take(job.batch);
        if (batch === null) {
          exhausted = true;
          return;
        }
        await send(batch);
        if (produced - lastReport >= 250_000) {
          lastReport = produced;
          out({ progress: produced });
        }
      }
    };
    await Promise.all(Array.from({ length: job.inFlight }, worker));
  } else {
    // Live: every 10 ms, send what the rate owes since the start; each record stamped as it is made.
    const rate = job.ratePerSecond;
    const endAt = started + (job.maxSeconds ?? 3600) * 1000;
    let lastReport = started;
    while (!stopping && performance.now() < endAt) {
      const owed = Math.floor(((performance.now() - started) / 1000) * rate) - produced;
      if (owed > 0) {
        const batch = take(Math.min(owed, job.batch));
        if (batch === null) break;
        await send(batch);
      }
      if (performance.now() - lastReport >= 1000) {
        lastReport = performance.now();
        out({ progress: produced });
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  out({ done: true, produced, seconds });
}

const job = JSON.parse(process.argv[2] ?? '{}') as ProducerJob;
main(job).then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`producer: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
