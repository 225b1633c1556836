import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { fromPlain } from './avro-values.js';

export interface PublishedSchema {
  readonly topic: string;
  readonly subject: string;
  readonly id: number;
  readonly type: avro.Type;
}

/** Reads every `<topic>.avsc` in a folder (the file name is the default topic name). */
export function readTopicSchemas(dir: string): Map<string, object> {
  const out = new Map<string, object>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.avsc')).sort()) {
    out.set(file.slice(0, -'.avsc'.length), JSON.parse(readFileSync(join(dir, file), 'utf8')) as object);
  }
  return out;
}

/**
 * Registers each topic's schema under the TopicNameStrategy subject `<topic>-value`, through the
 * Confluent client; `topicNames` maps a schema's default topic name to the configured one.
 */
export async function publishSchemas(registryUrl: string, schemas: Map<string, object>, topicNames: (defaultTopic: string) => string = (t) => t): Promise<Map<string, PublishedSchema>> {
  const registry = new SchemaRegistry({ host: registryUrl });
  const out = new Map<string, PublishedSchema>();
  for (const [defaultTopic, schema] of schemas) {
    const topic = topicNames(defaultTopic);
    const subject = `${topic}-value`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    out.set(topic, { topic, subject, id, type: avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' }) });
  }
  return out;
}

/** Confluent wire format: magic byte 0, big-endian schema id, Avro binary of the (plain) value. */
export function encodeAvro(schema: PublishedSchema, plain: unknown): Buffer {
  const body = schema.type.toBuffer(fromPlain(schema.type, plain));
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeInt32BE(schema.id, 1);
  return Buffer.concat([head, body]);
}
