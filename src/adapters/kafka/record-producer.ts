import { readFileSync } from 'node:fs';
import avro from 'avsc';
import type { Producer } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { TributaryError } from '../../core/errors.js';
import type { ProducedRecord, RecordProducer } from '../../core/ports.js';
import { fromPlain } from '../schema-registry/avro-values.js';

export interface RecordProducerOptions {
  /** Topic key (under `topics` in the configuration) -> topic name. */
  readonly topics: Readonly<Record<string, string>>;
  /** Topic keys whose values are Avro (registered under `<topic>-value`); the others are JSON. */
  readonly avroTopics: ReadonlyMap<string, { readonly schemaFile: string }>;
  readonly registry: { readonly url: string | null; readonly username?: string | null; readonly password?: string | null };
  readonly now: () => number;
}

interface AvroWriter {
  readonly id: number;
  readonly type: avro.Type;
}

/**
 * Writes records to the topics tributary owns, with acks from all in-sync replicas: JSON, or Confluent Avro
 * with the schema from schemas/ registered (or found, if already registered) under the TopicNameStrategy
 * subject. Kafka or the registry being away is retryable; a record Kafka refuses for good (too large, not
 * authorised) is not.
 */
export function createRecordProducer(producer: Producer, options: RecordProducerOptions): RecordProducer {
  const writers = new Map<string, Promise<AvroWriter>>();
  const registry = options.registry.url
    ? new SchemaRegistry({ host: options.registry.url, ...(options.registry.username ? { auth: { username: options.registry.username, password: options.registry.password ?? '' } } : {}) })
    : null;

  function writerFor(topicKey: string, topic: string): Promise<AvroWriter> {
    let writer = writers.get(topicKey);
    if (!writer) {
      writer = (async () => {
        const spec = options.avroTopics.get(topicKey)!;
        if (!registry) throw new TributaryError('schema_registry_disabled', `topics.${topicKey} is written as Avro but schemaRegistry.url is not set`, { retryable: false });
        const schema = JSON.parse(readFileSync(spec.schemaFile, 'utf8')) as avro.Schema;
        const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject: `${topic}-value` });
        return { id, type: avro.Type.forSchema(schema, { wrapUnions: 'auto' }) };
      })();
      // A failed registration is asked again next time, not cached.
      writer.catch(() => writers.delete(topicKey));
      writers.set(topicKey, writer);
    }
    return writer;
  }

  async function encode(record: ProducedRecord, topic: string, now: number): Promise<Buffer> {
    const value: Record<string, unknown> = { ...record.value };
    if (record.stampField) value[record.stampField] = now;
    if (!options.avroTopics.has(record.topicKey)) return Buffer.from(JSON.stringify(value));
    let writer: AvroWriter;
    try {
      writer = await writerFor(record.topicKey, topic);
    } catch (err) {
      const e = err as { retryable?: boolean; message?: string };
      throw new TributaryError('schema_registry_unreachable', `cannot register the schema of topics.${record.topicKey}: ${e.message ?? String(err)}`, { retryable: e.retryable !== false, cause: err });
    }
    const head = Buffer.alloc(5);
    head.writeInt32BE(writer.id, 1);
    let body: Buffer;
    try {
      body = writer.type.toBuffer(fromPlain(writer.type, value));
    } catch (err) {
      throw new TributaryError('record_not_encodable', `a record for topics.${record.topicKey} does not fit its schema`, { retryable: false, cause: err });
    }
    return Buffer.concat([head, body]);
  }

  return {
    async send(records) {
      if (records.length === 0) return;
      const now = options.now();
      const byTopic = new Map<string, Array<{ key: string; value: Buffer }>>();
      for (const r of records) {
        const topic = options.topics[r.topicKey];
        if (topic === undefined) throw new TributaryError('unknown_topic_key', `no topic is configured as topics.${r.topicKey}`, { retryable: false });
        const list = byTopic.get(topic) ?? [];
        list.push({ key: r.key, value: await encode(r, topic, now) });
        byTopic.set(topic, list);
      }
      try {
        await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      } catch (err) {
        // kafkajs marks what retrying cannot fix (MESSAGE_TOO_LARGE, authorization) as not retriable.
        const e = err as { retriable?: boolean; name?: string; message?: string };
        const retryable = e.retriable !== false && e.name !== 'KafkaJSNonRetriableError';
        throw new TributaryError('hand_off_failed', `producing to ${[...byTopic.keys()].join(', ')} failed: ${e.message ?? String(err)}`, { retryable, cause: err });
      }
    },
  };
}
