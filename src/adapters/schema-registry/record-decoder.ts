import avro from 'avsc';
import { TributaryError } from '../../core/errors.js';
import type { DecodeResult, RawRecord } from '../../core/ports.js';
import { toPlain, unwrapJsonUnions } from './avro-values.js';
import { DECODE_ERROR_CODES as CODES, type DecodeErrorCode } from './decode-error-codes.js';
import { getFromRegistry } from './registry-http.js';

export { DECODE_ERROR_CODES, type DecodeErrorCode } from './decode-error-codes.js';

export type { DecodeResult } from '../../core/ports.js';

export interface RecordDecoderOptions {
  /** Schema Registry base URL; null: Avro values are dead-lettered with `schema_registry_disabled`. */
  readonly registryUrl: string | null;
  readonly username?: string | null;
  readonly password?: string | null;
  readonly requestTimeoutMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/** What the decoder knows about one schema id. Entries with `untilMs` are asked for again once it has passed. */
type SchemaEntry =
  | { readonly kind: 'avro'; readonly type: avro.Type }
  | { readonly kind: 'json' }
  | { readonly kind: 'unsupported'; readonly schemaType: string }
  | { readonly kind: 'invalid'; readonly detail: string }
  | { readonly kind: 'missing'; readonly untilMs: number }
  | { readonly kind: 'reference_missing'; readonly detail: string; readonly untilMs: number };

interface SchemaReference {
  readonly name: string;
  readonly subject: string;
  readonly version: number | 'latest';
}

/** A schema as the registry serves it, by id or by subject and version. */
interface SchemaDocument {
  readonly schema: string;
  readonly schemaType: string;
  readonly references: readonly SchemaReference[];
}

type ReferenceLookup =
  | { readonly kind: 'found'; readonly doc: SchemaDocument }
  | { readonly kind: 'invalid'; readonly detail: string }
  | { readonly kind: 'missing' };

/** A schema id the registry does not know may be on its way (replication lag): it is asked again for this long. */
const MISSING_GRACE_MS = 5_000;
/** Once declared missing (the id, or a schema it references), an id is not asked again for this long. */
const MISSING_TTL_MS = 60_000;
/** More distinct references than this under one schema is not a schema anyone wrote by hand; refuse it. */
const MAX_REFERENCES = 256;
/** avsc's parse messages can quote a whole schema; a dead-letter detail keeps only the start. */
const MAX_PARSE_MESSAGE = 200;

/**
 * Tells Confluent-framed Avro (magic byte 0 + 4-byte schema id) from UTF-8 JSON, and decodes both to plain
 * values. Schemas are fetched by id once and cached, with the schemas they reference
 * (`GET /subjects/{subject}/versions/{version}`, recursively) parsed first into the same name registry.
 * A registry that cannot be reached throws a retryable error (the record waits); an unknown id, a schema that
 * does not parse, a reference the registry does not hold or a value that does not decode is a bad record
 * (dead-lettered), and the verdict on the schema is cached so its records do not each ask the registry again.
 */
export class RecordDecoder {
  private readonly schemas = new Map<number, SchemaEntry>();
  private readonly inflight = new Map<number, Promise<SchemaEntry>>();
  private readonly firstMissingAt = new Map<number, number>();
  /** Referenced subject versions are immutable, so a found (or unparseable) one is kept; a 404 is not. */
  private readonly references = new Map<string, Promise<ReferenceLookup>>();

  private readonly now: () => number;

  constructor(private readonly options: RecordDecoderOptions) {
    this.now = options.now ?? Date.now;
  }

  decode(record: RawRecord): DecodeResult | Promise<DecodeResult> {
    const value = record.value;
    if (value === null || value.length === 0) return failure(CODES.emptyValue, 'the record has no value (tombstone or empty)');
    if (value[0] === 0) {
      if (value.length < 5) return failure(CODES.invalidWireFormat, 'magic byte 0 but fewer than 5 bytes: not Confluent wire format');
      const id = value.readInt32BE(1);
      const cached = this.schemas.get(id);
      if (cached && !('untilMs' in cached && cached.untilMs < this.now())) return decodeWith(cached, id, value);
      return this.fetchSchema(id).then((entry) => decodeWith(entry, id, value));
    }
    return decodeJson(value, 0);
  }

  private fetchSchema(id: number): Promise<SchemaEntry> {
    const existing = this.inflight.get(id);
    if (existing) return existing;
    const p = this.load(id).finally(() => this.inflight.delete(id));
    this.inflight.set(id, p);
    return p;
  }

  private async load(id: number): Promise<SchemaEntry> {
    const answer = await getFromRegistry(this.registry(), `/schemas/ids/${id}`, `schema id ${id}`);
    let entry: SchemaEntry;
    if (answer.status === 404) {
      const now = this.now();
      const first = this.firstMissingAt.get(id) ?? now;
      this.firstMissingAt.set(id, first);
      if (now - first < MISSING_GRACE_MS) {
        throw new TributaryError(CODES.schemaIdNotFoundYet, `schema id ${id} is not in the schema registry (yet); asking again`, { retryable: true });
      }
      entry = { kind: 'missing', untilMs: now + MISSING_TTL_MS };
    } else {
      this.firstMissingAt.delete(id);
      entry = await this.entryFor(id, answer.body);
    }
    this.schemas.set(id, entry);
    return entry;
  }

  private async entryFor(id: number, body: unknown): Promise<SchemaEntry> {
    const doc = readDocument(body);
    if (typeof doc === 'string') return { kind: 'invalid', detail: `schema id ${id}: ${doc}` };
    if (doc.schemaType === 'JSON') return { kind: 'json' };
    if (doc.schemaType !== 'AVRO') return { kind: 'unsupported', schemaType: doc.schemaType };
    const resolved = await this.resolveReferences(id, doc.references);
    if (!Array.isArray(resolved)) return resolved;
    const registry: Record<string, avro.Type> = {};
    for (const [ref, referenced] of resolved) {
      const parsed = parseAvro(referenced.schema, registry);
      if (typeof parsed === 'string') return { kind: 'invalid', detail: `schema id ${id}: the referenced schema ${describeReference(ref)} ${parsed}` };
    }
    const type = parseAvro(doc.schema, registry);
    if (typeof type === 'string') return { kind: 'invalid', detail: `schema id ${id} ${type}` };
    return { kind: 'avro', type };
  }

  /**
   * The schemas `refs` name, each after the ones it references itself, so that parsing them in order
   * defines every named type before its first use. A schema referenced twice (a diamond) is taken once;
   * a cycle is cut, and the parse then reports the name it lacks.
   */
  private async resolveReferences(id: number, refs: readonly SchemaReference[]): Promise<Array<[SchemaReference, SchemaDocument]> | SchemaEntry> {
    const ordered: Array<[SchemaReference, SchemaDocument]> = [];
    const visited = new Set<string>();
    const visit = async (level: readonly SchemaReference[]): Promise<SchemaEntry | null> => {
      for (const ref of level) {
        const key = referenceKey(ref);
        if (visited.has(key)) continue;
        visited.add(key);
        if (visited.size > MAX_REFERENCES) return { kind: 'invalid', detail: `schema id ${id} references more than ${MAX_REFERENCES} schemas` };
        const lookup = await this.fetchReference(ref);
        if (lookup.kind === 'missing') {
          return {
            kind: 'reference_missing',
            detail: `schema id ${id} references ${describeReference(ref)}, which is not in the schema registry`,
            untilMs: this.now() + MISSING_TTL_MS,
          };
        }
        if (lookup.kind === 'invalid') return { kind: 'invalid', detail: `schema id ${id}: the referenced schema ${describeReference(ref)} ${lookup.detail}` };
        if (lookup.doc.schemaType !== 'AVRO') {
          return { kind: 'invalid', detail: `schema id ${id}: the referenced schema ${describeReference(ref)} is ${lookup.doc.schemaType}, not Avro` };
        }
        const problem = await visit(lookup.doc.references);
        if (problem) return problem;
        ordered.push([ref, lookup.doc]);
      }
      return null;
    };
    const problem = await visit(refs);
    return problem ?? ordered;
  }

  private fetchReference(ref: SchemaReference): Promise<ReferenceLookup> {
    const key = referenceKey(ref);
    const cached = this.references.get(key);
    if (cached) return cached;
    const version = ref.version === 'latest' ? 'latest' : String(ref.version);
    // `deleted=true`: a soft-deleted version still resolves, as it does for Confluent's own clients.
    const path = `/subjects/${encodeURIComponent(ref.subject)}/versions/${version}?deleted=true`;
    const p = getFromRegistry(this.registry(), path, `subject ${ref.subject} version ${version}`).then((answer): ReferenceLookup => {
      if (answer.status === 404) return { kind: 'missing' };
      const doc = readDocument(answer.body);
      return typeof doc === 'string' ? { kind: 'invalid', detail: doc } : { kind: 'found', doc };
    });
    this.references.set(key, p);
    // A failed request or a 404 may be a different answer next time; only a schema we hold stays cached.
    p.then(
      (lookup) => { if (lookup.kind === 'missing') this.references.delete(key); },
      () => this.references.delete(key),
    );
    return p;
  }

  private registry() {
    const { registryUrl } = this.options;
    if (!registryUrl) {
      throw new TributaryError(CODES.schemaRegistryDisabled, 'an Avro record arrived but schemaRegistry.url is not set; set SCHEMA_REGISTRY_URL', { retryable: false });
    }
    return { ...this.options, registryUrl };
  }
}

function failure(code: DecodeErrorCode, detail: string): DecodeResult {
  return { ok: false, code, detail };
}

function decodeWith(entry: SchemaEntry, id: number, value: Buffer): DecodeResult {
  switch (entry.kind) {
    case 'missing':
      return failure(CODES.unknownSchemaId, `schema id ${id} is not in the schema registry`);
    case 'reference_missing':
      return failure(CODES.schemaReferenceNotFound, entry.detail);
    case 'invalid':
      return failure(CODES.invalidSchema, entry.detail);
    case 'unsupported':
      return failure(CODES.unsupportedSchemaType, `schema id ${id} is ${entry.schemaType}; tributary reads Avro and JSON`);
    case 'json':
      return decodeJson(value, 5);
    case 'avro': {
      try {
        const { value: decoded, offset } = entry.type.decode(value, 5);
        if (offset < 0) return failure(CODES.avroDecodeFailed, `the value is truncated for schema id ${id}`);
        if (offset !== value.length) return failure(CODES.avroDecodeFailed, `${value.length - offset} trailing bytes after the Avro value (schema id ${id})`);
        return { ok: true, value: toPlain(entry.type, decoded), format: 'avro' };
      } catch {
        // avsc's message may quote the value; the detail must not carry personal data.
        return failure(CODES.avroDecodeFailed, `the value does not decode with schema id ${id}`);
      }
    }
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The registry's answer as a schema document, or what is wrong with it. */
function readDocument(body: unknown): SchemaDocument | string {
  if (!isObject(body) || typeof body.schema !== 'string') return 'the registry returned no schema text';
  const schemaType = body.schemaType === undefined || body.schemaType === null ? 'AVRO' : body.schemaType;
  if (typeof schemaType !== 'string') return 'the registry returned a schemaType that is not a string';
  const raw = body.references ?? [];
  if (!Array.isArray(raw)) return 'its references are not a list';
  const references: SchemaReference[] = [];
  for (const ref of raw) {
    if (!isObject(ref) || typeof ref.name !== 'string' || typeof ref.subject !== 'string' || !Number.isInteger(ref.version)) {
      return 'a reference lacks a string name, a string subject or an integer version';
    }
    const version = ref.version as number;
    if (version < 1 && version !== -1) return `a reference has version ${version}`;
    references.push({ name: ref.name, subject: ref.subject, version: version === -1 ? 'latest' : version });
  }
  return { schema: body.schema, schemaType: schemaType.toUpperCase(), references };
}

/** Parses Avro schema text into `registry`, or says why it cannot. */
function parseAvro(text: string, registry: Record<string, avro.Type>): avro.Type | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'is not JSON';
  }
  try {
    return avro.Type.forSchema(json as avro.Schema, { registry, wrapUnions: 'auto' });
  } catch (err) {
    const message = (err as Error).message;
    return `does not parse as Avro (${message.length > MAX_PARSE_MESSAGE ? `${message.slice(0, MAX_PARSE_MESSAGE)}...` : message})`;
  }
}

function referenceKey(ref: SchemaReference): string {
  return JSON.stringify([ref.subject, ref.version]);
}

function describeReference(ref: SchemaReference): string {
  return `"${ref.name}" (subject ${ref.subject}, version ${ref.version})`;
}

function decodeJson(value: Buffer, start: number): DecodeResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value.subarray(start));
  } catch {
    return failure(CODES.unknownFormat, 'the value is neither Confluent Avro (magic byte 0) nor UTF-8 JSON');
  }
  const first = text.trimStart()[0];
  if (first !== '{') return failure(CODES.unknownFormat, 'the value is neither Confluent Avro (magic byte 0) nor a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // The parser's message quotes the input, which may hold personal data: keep only where it broke.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    return failure(CODES.invalidJson, `the value is not valid JSON${at ? ` (at character ${at})` : ''}`);
  }
  return { ok: true, value: unwrapJsonUnions(parsed), format: 'json' };
}
