import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { fromPlain, toPlain, unwrapBranch, unwrapJsonUnions } from '../../../../src/adapters/schema-registry/avro-values.js';
import { loadFixtureCases } from '../../partners/load-fixtures.js';

const SCHEMAS_DIR = fileURLToPath(new URL('../../../../schemas/', import.meta.url));
const TIMESTAMP_FIELDS = new Set(['updated_at', 'timestamp', 'occurred_at', 'submitted_at', 'decided_at', 'time']);

interface AvroField { readonly name: string; readonly default?: unknown }

function readSchema(topic: string): { fields: AvroField[] } & avro.Schema {
  return JSON.parse(readFileSync(`${SCHEMAS_DIR}${topic}.avsc`, 'utf8')) as { fields: AvroField[] } & avro.Schema;
}

/** Round-trips a plain value through Avro binary, decoding the way the record decoder does. */
function roundTrip(type: avro.Type, plain: unknown): unknown {
  return toPlain(type, type.fromBuffer(type.toBuffer(fromPlain(type, plain))));
}

describe('toPlain', () => {
  const props = avro.Type.forSchema({
    type: 'record', name: 'T', fields: [
      { name: 'id', type: ['null', 'string'], default: null },
      { name: 'props', type: { type: 'map', values: ['null', 'boolean', 'long', 'double', 'string'] } },
      { name: 'tags', type: { type: 'array', items: ['null', 'long', 'double'] } },
      { name: 'blob', type: 'bytes' },
    ],
  }, { wrapUnions: 'auto' });

  it('unwraps every union branch avsc wraps, in maps, arrays and nullable fields', () => {
    const decoded = props.fromBuffer(props.toBuffer({
      id: 'u1',
      props: { a: { long: 5 }, b: { double: 1.5 }, c: { string: 'x' }, d: null, e: { boolean: true } },
      tags: [{ long: 1 }, { double: 2.5 }, null],
      blob: Buffer.from('hi'),
    }));
    // avsc hands them out wrapped: this is what the mappers must never see.
    expect((decoded as { props: Record<string, unknown> }).props.a).toEqual({ long: 5 });
    expect(toPlain(props, decoded)).toStrictEqual({
      id: 'u1', props: { a: 5, b: 1.5, c: 'x', d: null, e: true }, tags: [1, 2.5, null], blob: Buffer.from('hi').toString('base64'),
    });
  });

  it('turns a bigint from a custom long type into a number when it is safe, and leaves an unsafe one for the mapper to reject', () => {
    const long = avro.Type.forSchema('long');
    expect(toPlain(long, 7n)).toBe(7);
    expect(toPlain(long, 2n ** 64n)).toBe(2n ** 64n);
  });

  it('decodes every valid partner fixture to exactly its plain JSON form, leaving nothing for the mappers to unwrap', () => {
    // quikly.delayed is tributary's own JSON topic, with no Avro schema.
    const cases = loadFixtureCases().filter((c) => c.expected.type !== 'invalid' && c.topic !== 'quikly.delayed');
    expect(cases.length).toBeGreaterThan(5);
    for (const c of cases) {
      const schema = readSchema(c.topic);
      const type = avro.Type.forSchema(schema, { wrapUnions: 'auto' });
      const input = c.input as Record<string, unknown>;
      const expected = Object.fromEntries(schema.fields.map((f) => {
        const value = Object.hasOwn(input, f.name) ? input[f.name] : f.default;
        return [f.name, TIMESTAMP_FIELDS.has(f.name) && typeof value === 'string' ? Date.parse(value) : value];
      }));
      expect(roundTrip(type, expected), `${c.partner}/${c.name}`).toStrictEqual(expected);
    }
  });
});

describe('unwrapBranch', () => {
  it('unwraps a single-key object named after an Avro primitive type', () => {
    expect(unwrapBranch({ string: 'x' })).toBe('x');
    expect(unwrapBranch({ long: 5 })).toBe(5);
    expect(unwrapBranch({ double: 1.5 })).toBe(1.5);
    expect(unwrapBranch({ boolean: false })).toBe(false);
    expect(unwrapBranch({ int: 3 })).toBe(3);
    expect(unwrapBranch({ float: 0.5 })).toBe(0.5);
    expect(unwrapBranch({ null: null })).toBeNull();
  });

  it('leaves other values alone', () => {
    const twoKeys = { string: 'x', long: 1 };
    expect(unwrapBranch(twoKeys)).toBe(twoKeys);
    const named = { 'io.tributary.Other': 'x' };
    expect(unwrapBranch(named)).toBe(named);
    expect(unwrapBranch('x')).toBe('x');
    expect(unwrapBranch(null)).toBeNull();
    const list = [{ string: 'x' }];
    expect(unwrapBranch(list)).toBe(list);
  });
});

describe('unwrapJsonUnions', () => {
  it('unwraps the Avro-JSON encoding of nullable fields and of props values', () => {
    expect(unwrapJsonUnions({
      external_id: { string: 'u1' },
      braze_id: null,
      timestamp: { long: 1714557600000 },
      count: { double: 2.5 },
      properties: { a: { long: 5 }, b: { double: 1.5 }, c: { string: 'x' }, d: null, e: { boolean: true }, f: 'plain' },
    })).toStrictEqual({
      external_id: 'u1', braze_id: null, timestamp: 1714557600000, count: 2.5,
      properties: { a: 5, b: 1.5, c: 'x', d: null, e: true, f: 'plain' },
    });
  });

  it('leaves plain JSON as it is, and does not reach below a props value', () => {
    const plain = { name: 'x', n: 1, ok: true, none: null, properties: { a: 1, nested: { deeper: { string: 'y' } } }, list: [{ string: 'z' }] };
    expect(unwrapJsonUnions(plain)).toStrictEqual(plain);
    expect(unwrapJsonUnions('x')).toBe('x');
    expect(unwrapJsonUnions([{ string: 'x' }])).toStrictEqual([{ string: 'x' }]);
  });

  it('keeps a __proto__ key as data, at both depths', () => {
    const out = unwrapJsonUnions(JSON.parse('{"__proto__": {"string": "x"}, "p": {"__proto__": {"long": 1}}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'p']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toBe('x');
    expect(Object.getOwnPropertyDescriptor(out.p, '__proto__')?.value).toBe(1);
  });
});
