import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { request } from 'undici';
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
export async function publishSchemas(
  registryUrl: string,
  schemas: Map<string, object>,
  topicNames: (defaultTopic: string) => string = (t) => t,
  auth?: RegistryAuth,
): Promise<Map<string, PublishedSchema>> {
  const registry = new SchemaRegistry({ host: registryUrl, ...(auth?.username ? { auth: { username: auth.username, password: auth.password ?? '' } } : {}) });
  const out = new Map<string, PublishedSchema>();
  for (const [defaultTopic, schema] of schemas) {
    const topic = topicNames(defaultTopic);
    const subject = `${topic}-value`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    out.set(topic, { topic, subject, id, type: avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' }) });
  }
  return out;
}

export interface RegistryAuth {
  readonly username?: string | null;
  readonly password?: string | null;
}

export type CompatibilityVerdict =
  | { readonly verdict: 'compatible' }
  /** The subject (or its latest version) is not registered yet: registering it cannot break anything. */
  | { readonly verdict: 'new' }
  | { readonly verdict: 'incompatible'; readonly reasons: readonly string[] };

/**
 * Asks the registry whether `schema` may become the next version of `subject` under the subject's compatibility
 * level (Confluent `POST /compatibility/subjects/{subject}/versions/latest?verbose=true`). Registry failures throw.
 */
export async function checkCompatibility(registryUrl: string, subject: string, schema: object, auth?: RegistryAuth): Promise<CompatibilityVerdict> {
  const headers: Record<string, string> = { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json, application/json' };
  if (auth?.username) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
  const url = `${registryUrl.replace(/\/$/, '')}/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`;
  const res = await request(url, { method: 'POST', headers, body: JSON.stringify({ schemaType: 'AVRO', schema: JSON.stringify(schema) }), signal: AbortSignal.timeout(10_000) });
  const text = await res.body.text();
  let body: { is_compatible?: boolean; messages?: unknown; error_code?: number; message?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Reported below with the status.
  }
  if (res.statusCode === 404 && (body.error_code === 40401 || body.error_code === 40402)) return { verdict: 'new' };
  // 422: the registry refuses the schema itself (it does not parse, say): a break like any other.
  if (res.statusCode === 422) return { verdict: 'incompatible', reasons: [body.message ?? 'the registry refuses the schema'] };
  if (res.statusCode !== 200 || typeof body.is_compatible !== 'boolean') {
    throw new Error(`the schema registry answered ${res.statusCode} for the compatibility of ${subject}: ${body.message ?? text.slice(0, 200)}`);
  }
  if (body.is_compatible) return { verdict: 'compatible' };
  const reasons = Array.isArray(body.messages) ? body.messages.map(String) : [];
  return { verdict: 'incompatible', reasons: reasons.length > 0 ? reasons : ['incompatible with the latest registered version'] };
}

/** Confluent wire format: magic byte 0, big-endian schema id, Avro binary of the (plain) value. */
export function encodeAvro(schema: PublishedSchema, plain: unknown): Buffer {
  const body = schema.type.toBuffer(fromPlain(schema.type, plain));
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeInt32BE(schema.id, 1);
  return Buffer.concat([head, body]);
}
