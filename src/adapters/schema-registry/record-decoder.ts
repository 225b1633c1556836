import avro from 'avsc';
import { request } from 'undici';
import { TributaryError } from '../../core/errors.js';
import type { DecodedRecord } from '../../core/ports.js';
import { toPlain } from './avro-values.js';

export type DecodeResult =
  | { readonly ok: true; readonly value: unknown; readonly format: 'avro' | 'json' }
  | { readonly ok: false; readonly code: string; readonly detail: string };

export interface RecordDecoderOptions {
  /** Schema Registry base URL; null: Avro values are dead-lettered with `schema_registry_disabled`. */
  readonly registryUrl: string | null;
  readonly username?: string | null;
  readonly password?: string | null;
  readonly requestTimeoutMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

type SchemaEntry = { kind: 'avro'; type: avro.Type } | { kind: 'json' } | { kind: 'unsupported'; schemaType: string } | { kind: 'missing'; untilMs: number };

/** A schema id the registry does not know may be on its way (replication lag): it is asked again for this long. */
const MISSING_GRACE_MS = 5_000;
/** Once declared missing, an id is not asked again for this long. */
const MISSING_TTL_MS = 60_000;

/**
 * Tells Confluent-framed Avro (magic byte 0 + 4-byte schema id) from UTF-8 JSON, and decodes both to plain values.
 * Schemas are fetched by id once and cached. A registry that cannot be reached throws a retryable error
 * (the record waits); an unknown id or a value that does not decode is a bad record (dead-lettered).
 */
export class RecordDecoder {
  private readonly schemas = new Map<number, SchemaEntry>();
  private readonly inflight = new Map<number, Promise<SchemaEntry>>();
  private readonly firstMissingAt = new Map<number, number>();

  private readonly now: () => number;

  constructor(private readonly options: RecordDecoderOptions) {
    this.now = options.now ?? Date.now;
  }

  decode(record: DecodedRecord): DecodeResult | Promise<DecodeResult> {
    const value = record.value;
    if (value === null || value.length === 0) return { ok: false, code: 'empty_value', detail: 'the record has no value (tombstone or empty)' };
    if (value[0] === 0) {
      if (value.length < 5) return { ok: false, code: 'invalid_wire_format', detail: 'magic byte 0 but fewer than 5 bytes: not Confluent wire format' };
      const id = value.readInt32BE(1);
      const cached = this.schemas.get(id);
      if (cached && !(cached.kind === 'missing' && cached.untilMs < this.now())) return this.decodeWith(cached, id, value);
      return this.fetchSchema(id).then((entry) => this.decodeWith(entry, id, value));
    }
    return decodeJson(value, 0);
  }

  private decodeWith(entry: SchemaEntry, id: number, value: Buffer): DecodeResult {
    switch (entry.kind) {
      case 'missing':
        return { ok: false, code: 'unknown_schema_id', detail: `schema id ${id} is not in the schema registry` };
      case 'unsupported':
        return { ok: false, code: 'unsupported_schema_type', detail: `schema id ${id} is ${entry.schemaType}; tributary reads Avro and JSON` };
      case 'json':
        return decodeJson(value, 5);
      case 'avro': {
        try {
          const { value: decoded, offset } = entry.type.decode(value, 5);
          if (offset < 0) return { ok: false, code: 'avro_decode_failed', detail: `the value is truncated for schema id ${id}` };
          if (offset !== value.length) return { ok: false, code: 'avro_decode_failed', detail: `${value.length - offset} trailing bytes after the Avro value (schema id ${id})` };
          return { ok: true, value: toPlain(entry.type, decoded), format: 'avro' };
        } catch {
          // avsc's message may quote the value; the detail must not carry personal data.
          return { ok: false, code: 'avro_decode_failed', detail: `the value does not decode with schema id ${id}` };
        }
      }
    }
  }

  private fetchSchema(id: number): Promise<SchemaEntry> {
    const existing = this.inflight.get(id);
    if (existing) return existing;
    const p = this.load(id).finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }

  private async load(id: number): Promise<SchemaEntry> {
    const base = this.options.registryUrl;
    if (!base) {
      throw new TributaryError('schema_registry_disabled', 'an Avro record arrived but schemaRegistry.url is not set; set SCHEMA_REGISTRY_URL', { retryable: false });
    }
    const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
    if (this.options.username) headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ''}`).toString('base64')}`;
    let status: number;
    let text: string;
    try {
      const res = await request(`${base.replace(/\/$/, '')}/schemas/ids/${id}`, { headers, signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000) });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new TributaryError('schema_registry_unreachable', `cannot reach the schema registry: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    let entry: SchemaEntry;
    if (status === 404) {
      const now = this.now();
      const first = this.firstMissingAt.get(id) ?? now;
      this.firstMissingAt.set(id, first);
      if (now - first < MISSING_GRACE_MS) {
        throw new TributaryError('schema_id_not_found_yet', `schema id ${id} is not in the schema registry (yet); asking again`, { retryable: true });
      }
      entry = { kind: 'missing', untilMs: now + MISSING_TTL_MS };
    } else if (status !== 200) {
      // 401/403 (expired credentials), 429 and 5xx are the registry's problem, not the record's: wait, never dead-letter.
      throw new TributaryError('schema_registry_error', `the schema registry answered ${status} for schema id ${id}`, { retryable: true });
    } else {
      this.firstMissingAt.delete(id);
      const body = JSON.parse(text) as { schema: string; schemaType?: string };
      const schemaType = body.schemaType ?? 'AVRO';
      if (schemaType === 'AVRO') entry = { kind: 'avro', type: avro.Type.forSchema(JSON.parse(body.schema), { wrapUnions: 'auto' }) };
      else if (schemaType === 'JSON') entry = { kind: 'json' };
      else entry = { kind: 'unsupported', schemaType };
    }
    this.schemas.set(id, entry);
    return entry;
  }
}

function decodeJson(value: Buffer, start: number): DecodeResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value.subarray(start));
  } catch {
    return { ok: false, code: 'unknown_format', detail: 'the value is neither Confluent Avro (magic byte 0) nor UTF-8 JSON' };
  }
  const first = text.trimStart()[0];
  if (first !== '{') return { ok: false, code: 'unknown_format', detail: 'the value is neither Confluent Avro (magic byte 0) nor a JSON object' };
  try {
    return { ok: true, value: JSON.parse(text), format: 'json' };
  } catch (err) {
    // The parser's message quotes the input, which may hold personal data: keep only where it broke.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    return { ok: false, code: 'invalid_json', detail: `the value is not valid JSON${at ? ` (at character ${at})` : ''}` };
  }
}
