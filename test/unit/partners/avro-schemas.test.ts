import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { toPlain } from '../../../src/adapters/schema-registry/avro-values.js';
import { INPUT_TOPIC_KINDS, MAPPERS, type InputTopicKind } from '../../../src/partners/index.js';
import { comparable, loadFixtureCases } from './load-fixtures.js';

const SCHEMAS_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));
// Every partner topic of topics.md; quikly.delayed is tributary's own (JSON, written and read only by tributary).
const TOPICS = [
  ...new Set([...INPUT_TOPIC_KINDS.filter((kind) => kind !== 'quikly.delayed'), 'quikly.activations', 'braze.events', 'quikly.credits']),
] as const;
const TIMESTAMP_FIELDS = new Set(['updated_at', 'timestamp', 'occurred_at', 'submitted_at', 'decided_at', 'time']);

interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly doc?: string;
  readonly default?: unknown;
}
interface AvroRecordSchema {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: string;
  readonly doc?: string;
  readonly fields: readonly AvroField[];
}

/** What a consumer configured with avsc's `logicalTypes` gets for timestamp-millis: Dates instead of numbers. */
class TimestampMillisAsDate extends avro.types.LogicalType {
  protected override _fromValue(value: number): Date {
    return new Date(value);
  }

  protected override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) return value.getTime();
    return typeof value === 'number' ? value : undefined;
  }

  protected override _resolve(type: avro.Type): ((value: number) => Date) | undefined {
    return avro.Type.isType(type, 'long', 'logical:timestamp-millis') ? (value) => this._fromValue(value) : undefined;
  }
}

function readSchema(topic: string): AvroRecordSchema {
  return JSON.parse(readFileSync(`${SCHEMAS_DIR}${topic}.avsc`, 'utf8')) as AvroRecordSchema;
}

/** The JSON form of a record as a producer's Avro serializer needs it: timestamps as epoch milliseconds. */
function toAvroInput(json: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(json).map(([key, value]) => [
      key,
      TIMESTAMP_FIELDS.has(key) && typeof value === 'string' ? Date.parse(value) : value,
    ]),
  );
}

describe('the Avro schemas', () => {
  it('are exactly one file per topic', () => {
    const files = readdirSync(SCHEMAS_DIR).filter((file) => file.endsWith('.avsc')).sort();
    expect(files).toEqual(TOPICS.map((topic) => `${topic}.avsc`).sort());
  });

  it.each(TOPICS.map((topic) => [topic]))('%s parses with avsc and documents every field', (topic) => {
    const schema = readSchema(topic);
    const type = avro.Type.forSchema(schema as avro.Schema);
    expect(type.name).toMatch(/^io\.tributary\.(actioniq|extole|komo|quikly|braze)\.[A-Z]\w+$/);
    expect(schema.namespace).toBe(`io.tributary.${topic.slice(0, topic.indexOf('.'))}`);
    expect(schema.doc).toBeTruthy();
    for (const field of schema.fields) {
      expect(field.doc, `${topic}.${field.name}`).toBeTruthy();
      if (Array.isArray(field.type)) {
        expect(field.type[0], `${topic}.${field.name}`).toBe('null');
        expect(field.default, `${topic}.${field.name}`).toBeNull();
      }
    }
  });

  it.each(TOPICS.map((topic) => [topic]))('%s stores timestamps as timestamp-millis and props as scalar maps', (topic) => {
    for (const field of readSchema(topic).fields) {
      if (TIMESTAMP_FIELDS.has(field.name)) {
        expect(field.type, `${topic}.${field.name}`).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
      }
      if (typeof field.type === 'object' && field.type !== null && (field.type as { type?: string }).type === 'map') {
        expect(field.type).toEqual({ type: 'map', values: ['null', 'boolean', 'long', 'double', 'string'] });
        expect(field.default, `${topic}.${field.name}`).toEqual({});
      }
    }
  });
});

describe('a record encoded with its Avro schema and decoded', () => {
  // avsc decodes the ambiguous props union wrapped ({"long": 5}) with its default options and refuses it
  // unwrapped; the record decoder unwraps it (toPlain), so these decode the way it does.
  const cases = loadFixtureCases().filter((c) => c.expected.type !== 'invalid' && (TOPICS as readonly string[]).includes(c.topic));

  it.each(cases.map((c) => [`${c.partner}/${c.name}`, c] as const))(
    'maps %s to the same result as its JSON form',
    (_name, c) => {
      const type = avro.Type.forSchema(readSchema(c.topic) as avro.Schema);
      const encoded = type.toBuffer(type.clone(toAvroInput(c.input as Record<string, unknown>), { wrapUnions: true }));
      const decoded = toPlain(type, type.fromBuffer(encoded));
      expect(comparable(MAPPERS[c.topic].map(decoded, c.options, c.outbound))).toStrictEqual(c.expected);
    },
  );

  it.each(INPUT_TOPIC_KINDS.filter((kind) => (TOPICS as readonly string[]).includes(kind)).map((kind) => [kind]))(
    'maps the same when the timestamps of %s are decoded as Dates',
    (kind: InputTopicKind) => {
      const writer = avro.Type.forSchema(readSchema(kind) as avro.Schema);
      const reader = avro.Type.forSchema(readSchema(kind) as avro.Schema, {
        logicalTypes: { 'timestamp-millis': TimestampMillisAsDate },
      });
      for (const c of cases.filter((fixture) => fixture.topic === kind)) {
        const decoded = toPlain(reader, reader.fromBuffer(
          writer.toBuffer(writer.clone(toAvroInput(c.input as Record<string, unknown>), { wrapUnions: true })),
        ));
        expect(Object.values(decoded as object).some((value) => value instanceof Date), c.name).toBe(true);
        expect(comparable(MAPPERS[kind].map(decoded, c.options, c.outbound)), c.name).toStrictEqual(c.expected);
      }
    },
  );

  it.each(INPUT_TOPIC_KINDS.filter((kind) => (TOPICS as readonly string[]).includes(kind)).map((kind) => [kind]))(
    'maps the same when every union of %s is decoded wrapped',
    (kind: InputTopicKind) => {
      const writer = avro.Type.forSchema(readSchema(kind) as avro.Schema);
      const wrapped = avro.Type.forSchema(readSchema(kind) as avro.Schema, { wrapUnions: 'always' });
      for (const c of cases.filter((fixture) => fixture.topic === kind)) {
        const encoded = writer.toBuffer(writer.clone(toAvroInput(c.input as Record<string, unknown>), { wrapUnions: true }));
        expect(comparable(MAPPERS[kind].map(toPlain(wrapped, wrapped.fromBuffer(encoded)), c.options, c.outbound)), c.name).toStrictEqual(c.expected);
      }
    },
  );
});
