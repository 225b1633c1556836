import avsc from 'avsc';
import type { Type } from 'avsc';
import { invalidSchema } from './errors.js';

export const SCHEMA_TYPES = ['AVRO', 'JSON', 'PROTOBUF'] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export interface SchemaReference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

/** A schema as a client submits it (and as we store it): the text is kept verbatim. */
export interface SchemaInput {
  readonly schemaType: SchemaType;
  readonly schema: string;
  readonly references: readonly SchemaReference[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Validates the `{schema, schemaType?, references?}` part of a request body. */
export function readSchemaInput(body: Record<string, unknown>): SchemaInput {
  const { schema, schemaType, references } = body;
  if (typeof schema !== 'string' || schema.trim() === '') {
    throw invalidSchema('the request needs a non-empty "schema" string');
  }
  let type: SchemaType = 'AVRO';
  if (schemaType !== undefined && schemaType !== null) {
    const upper = typeof schemaType === 'string' ? schemaType.toUpperCase() : undefined;
    if (upper === undefined || !(SCHEMA_TYPES as readonly string[]).includes(upper)) {
      throw invalidSchema(`unknown schemaType ${JSON.stringify(schemaType)}; expected one of ${SCHEMA_TYPES.join(', ')}`);
    }
    type = upper as SchemaType;
  }
  return { schemaType: type, schema, references: readReferences(references) };
}

function readReferences(raw: unknown): SchemaReference[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalidSchema('"references" must be an array');
  return raw.map((ref, index) => {
    if (
      !isRecord(ref) ||
      typeof ref.name !== 'string' ||
      typeof ref.subject !== 'string' ||
      !Number.isInteger(ref.version) ||
      (ref.version as number) < 1
    ) {
      throw invalidSchema(`reference ${index} needs a string "name", a string "subject" and a positive integer "version"`);
    }
    return { name: ref.name, subject: ref.subject, version: ref.version as number };
  });
}

function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalidSchema(`${what} is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Rebuilds objects with sorted keys; Object.fromEntries keeps a "__proto__" key as data, not as a prototype. */
function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeysDeep(value[key])]));
}

/**
 * Normalizes an Avro schema so that texts differing only in whitespace, key order or the
 * `{"type": "string"}` vs `"string"` spelling compare equal. It walks the schema structure on
 * purpose: field defaults are data, and an object default must never be collapsed like a type.
 */
function normalizeAvroNode(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalizeAvroNode);
  if (!isRecord(node)) return node;
  const entries = Object.keys(node).sort().map((key): [string, unknown] => {
    const value = node[key];
    if (key === 'type' || key === 'items' || key === 'values') return [key, normalizeAvroNode(value)];
    if (key === 'fields' && Array.isArray(value)) return [key, value.map(normalizeAvroField)];
    return [key, sortKeysDeep(value)];
  });
  if (entries.length === 1 && entries[0][0] === 'type' && typeof entries[0][1] === 'string') return entries[0][1];
  return Object.fromEntries(entries);
}

function normalizeAvroField(field: unknown): unknown {
  if (!isRecord(field)) return sortKeysDeep(field);
  return Object.fromEntries(
    Object.keys(field).sort().map((key) => [key, key === 'type' ? normalizeAvroNode(field[key]) : sortKeysDeep(field[key])]),
  );
}

/**
 * The identity of a schema for id reuse: same type, same normalized text, same references.
 * Throws 42201 when an Avro or JSON schema is not even JSON.
 */
export function schemaIdentity(input: SchemaInput): string {
  let canonical: string;
  switch (input.schemaType) {
    case 'AVRO':
      canonical = JSON.stringify(normalizeAvroNode(parseJsonText(input.schema, 'the Avro schema')));
      break;
    case 'JSON': {
      const parsed = parseJsonText(input.schema, 'the JSON schema');
      if (!isRecord(parsed) && typeof parsed !== 'boolean') {
        throw invalidSchema('a JSON schema must be a JSON object or a boolean');
      }
      canonical = JSON.stringify(sortKeysDeep(parsed));
      break;
    }
    case 'PROTOBUF':
      canonical = input.schema;
      break;
  }
  const refs = input.references.map((r) => [r.name, r.subject, r.version]);
  return JSON.stringify([input.schemaType, canonical, refs]);
}

/** Looks up the schema a reference points at; throws a RegistryError when it does not exist. */
export type ReferenceResolver = (ref: SchemaReference) => SchemaInput;

/**
 * Parses an Avro schema with avsc. Referenced schemas are parsed first into one shared name
 * registry so that the schema can use their named types, the same way the client resolves them.
 */
export function parseAvro(input: SchemaInput, resolve: ReferenceResolver): Type {
  const registry: Record<string, Type> = {};
  const visited = new Set<string>();
  const loadReferences = (refs: readonly SchemaReference[]): void => {
    for (const ref of refs) {
      const key = JSON.stringify([ref.subject, ref.version]);
      // Diamond-shaped (or cyclic) references would otherwise define the same names twice.
      if (visited.has(key)) continue;
      visited.add(key);
      let target: SchemaInput;
      try {
        target = resolve(ref);
      } catch (err) {
        throw invalidSchema(
          `reference "${ref.name}" (subject '${ref.subject}', version ${ref.version}) cannot be resolved` +
            (err instanceof Error ? `: ${err.message}` : ''),
        );
      }
      if (target.schemaType !== 'AVRO') {
        throw invalidSchema(`reference "${ref.name}" points at a ${target.schemaType} schema, not an Avro one`);
      }
      loadReferences(target.references);
      forSchema(target.schema, registry, `referenced schema "${ref.name}"`);
    }
  };
  loadReferences(input.references);
  return forSchema(input.schema, registry, 'the Avro schema');
}

function forSchema(text: string, registry: Record<string, Type>, what: string): Type {
  const json = parseJsonText(text, what);
  try {
    return avsc.Type.forSchema(json as Parameters<typeof avsc.Type.forSchema>[0], { registry });
  } catch (err) {
    throw invalidSchema(`${what} is not a valid Avro schema (${err instanceof Error ? err.message : String(err)})`);
  }
}
