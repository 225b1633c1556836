import { describe, expect, it } from 'vitest';
import { MappingError } from '../../../../src/partners/common/mapping-error.js';
import {
  nameForDetail, readBoolean, readEnum, readOptionalNumber, readOptionalString, readProps, readRecord, readString,
  readTimestamp,
} from '../../../../src/partners/common/readers.js';

function failure(read: () => unknown): { code: string; detail: string } {
  try {
    read();
  } catch (error) {
    if (error instanceof MappingError) return { code: error.code, detail: error.detail };
    throw error;
  }
  throw new Error('expected the read to fail');
}

describe('readRecord', () => {
  it('accepts objects and rejects everything else as invalid_record', () => {
    expect(readRecord({ a: 1 })).toEqual({ a: 1 });
    for (const value of [null, undefined, 1, 'x', [], new Date(0)]) {
      expect(failure(() => readRecord(value))).toEqual({ code: 'invalid_record', detail: 'record value is not an object' });
    }
  });
});

describe('readString', () => {
  it('reads a string', () => {
    expect(readString({ a: 'x' }, 'a')).toBe('x');
  });

  it('takes values as plain as the record decoder makes them: a wrapped union branch is not a string', () => {
    // Union branches are unwrapped once, by the decoder (test/unit/adapters/schema-registry/avro-values.test.ts).
    expect(failure(() => readString({ a: { string: 'x' } }, 'a')).code).toBe('invalid_field');
    expect(failure(() => readOptionalNumber({ a: { double: 2.5 } }, 'a')).code).toBe('invalid_field');
    expect(failure(() => readTimestamp({ a: { long: 1714557600000 } }, 'a')).code).toBe('invalid_field');
    expect(failure(() => readProps({ p: { a: { long: 5 } } }, 'p')).code).toBe('invalid_field');
  });

  it('reports a missing, null or blank value as missing_field and another type as invalid_field', () => {
    expect(failure(() => readString({}, 'a')).code).toBe('missing_field');
    expect(failure(() => readString({ a: null }, 'a')).code).toBe('missing_field');
    expect(failure(() => readString({ a: '  ' }, 'a'))).toEqual({ code: 'missing_field', detail: 'field a is empty' });
    expect(failure(() => readString({ a: 5 }, 'a'))).toEqual({ code: 'invalid_field', detail: 'field a must be a string' });
  });

  it('does not read inherited properties', () => {
    expect(failure(() => readString({}, 'constructor')).code).toBe('missing_field');
  });
});

describe('readOptionalString', () => {
  it('reads absent, null and blank values as undefined', () => {
    expect(readOptionalString({}, 'a')).toBeUndefined();
    expect(readOptionalString({ a: null }, 'a')).toBeUndefined();
    expect(readOptionalString({ a: '' }, 'a')).toBeUndefined();
    expect(readOptionalString({ a: 'x' }, 'a')).toBe('x');
  });

  it('rejects a value of another type', () => {
    expect(failure(() => readOptionalString({ a: ['x'] }, 'a')).code).toBe('invalid_field');
  });
});

describe('readBoolean and readOptionalNumber', () => {
  it('accept only their own type', () => {
    expect(readBoolean({ a: false }, 'a')).toBe(false);
    expect(failure(() => readBoolean({ a: 'true' }, 'a')).code).toBe('invalid_field');
    expect(failure(() => readBoolean({ a: 0 }, 'a')).code).toBe('invalid_field');
    expect(readOptionalNumber({ a: 2.5 }, 'a')).toBe(2.5);
    expect(readOptionalNumber({ a: 7n }, 'a')).toBe(7);
    expect(readOptionalNumber({}, 'a')).toBeUndefined();
    for (const bad of ['2.5', Number.NaN, Number.POSITIVE_INFINITY, 2n ** 64n]) {
      expect(failure(() => readOptionalNumber({ a: bad }, 'a')).code).toBe('invalid_field');
    }
  });
});

describe('readEnum', () => {
  it('returns a known symbol and reports any other string as unknown_enum_value', () => {
    expect(readEnum({ k: 'b' }, 'k', ['a', 'b'])).toBe('b');
    expect(failure(() => readEnum({ k: 'B' }, 'k', ['a', 'b']))).toEqual({
      code: 'unknown_enum_value', detail: 'field k is not one of a, b',
    });
    expect(failure(() => readEnum({ k: 1 }, 'k', ['a'])).code).toBe('invalid_field');
  });
});

describe('readTimestamp', () => {
  const at = (value: unknown): string => readTimestamp({ t: value }, 't');

  it('reads epoch milliseconds from numbers, numeric strings, bigints and Dates', () => {
    expect(at(1714557600000)).toBe('2024-05-01T10:00:00.000Z');
    expect(at('1714557600000')).toBe('2024-05-01T10:00:00.000Z');
    expect(at(1714557600000n)).toBe('2024-05-01T10:00:00.000Z');
    expect(at(new Date(1714557600000))).toBe('2024-05-01T10:00:00.000Z');
    expect(at(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('reads ISO-8601 instants with Z or an offset, and bare dates as midnight UTC', () => {
    expect(at('2024-05-01T10:00:00Z')).toBe('2024-05-01T10:00:00.000Z');
    expect(at('2024-05-01T12:00:00+02:00')).toBe('2024-05-01T10:00:00.000Z');
    expect(at('2024-05-01T05:30:00-0430')).toBe('2024-05-01T10:00:00.000Z');
    expect(at('2024-05-01 10:00:00.123456z')).toBe('2024-05-01T10:00:00.123Z');
    expect(at('2024-05-01T10:00Z')).toBe('2024-05-01T10:00:00.000Z');
    expect(at('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('rejects date-times without a zone, impossible dates, times before the epoch and other shapes', () => {
    for (const bad of [
      '2024-05-01T10:00:00', '2024-02-30', '2023-02-29T00:00:00Z', '2024-13-01', '2024-05-01T24:00:00Z',
      '1969-12-31T23:59:59Z', '0070-01-01', 'May 1, 2024', '', -1, Number.NaN, true, {}, [], new Date(Number.NaN),
      10n ** 20n, 253402300800000,
    ]) {
      expect(failure(() => at(bad)).code, String(bad)).toBe('invalid_field');
    }
    expect(failure(() => readTimestamp({}, 't')).code).toBe('missing_field');
  });
});

describe('readProps', () => {
  it('reads a missing or null map as empty', () => {
    expect(readProps({}, 'p')).toEqual({});
    expect(readProps({ p: null }, 'p')).toEqual({});
  });

  it('reads scalar values and turns bigints into numbers', () => {
    expect(readProps({ p: { a: 5, b: 1.5, c: 'x', d: null, e: true, f: 3n } }, 'p'))
      .toEqual({ a: 5, b: 1.5, c: 'x', d: null, e: true, f: 3 });
  });

  it('keeps a __proto__ key as data instead of changing the prototype', () => {
    const props = readProps({ p: JSON.parse('{"__proto__": "x", "a": 1}') }, 'p');
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
    expect(Object.keys(props)).toEqual(['__proto__', 'a']);
  });

  it('rejects a non-map and non-scalar values, naming the key', () => {
    expect(failure(() => readProps({ p: [] }, 'p')).code).toBe('invalid_field');
    expect(failure(() => readProps({ p: 'x' }, 'p')).code).toBe('invalid_field');
    expect(failure(() => readProps({ p: { k: [1] } }, 'p'))).toEqual({
      code: 'invalid_field', detail: 'field p.k must be null, a boolean, a finite number or a string',
    });
    expect(failure(() => readProps({ p: { k: { nested: 1 } } }, 'p')).code).toBe('invalid_field');
    expect(failure(() => readProps({ p: { k: Number.NaN } }, 'p')).code).toBe('invalid_field');
  });
});

describe('nameForDetail', () => {
  it('shortens long names and marks empty ones', () => {
    expect(nameForDetail('a'.repeat(100))).toBe(`${'a'.repeat(64)}...`);
    expect(nameForDetail('')).toBe('(empty)');
    expect(nameForDetail('tier')).toBe('tier');
  });
});
