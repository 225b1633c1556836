import { describe, expect, it } from 'vitest';
import { MalformedRequestError, Reader, Writer } from '../../../src/kafka/codec.js';

describe('kafka codec', () => {
  it('round-trips fixed-width integers, strings, bytes and arrays', () => {
    const big = Buffer.alloc(5000, 9);
    const buf = new Writer()
      .int8(-5).bool(true).int16(-300).int32(123_456_789).int64(2 ** 40 + 3).int64(-1n)
      .string('héllo').nullableString(null).bytes(Buffer.from([1, 2])).nullableBytes(null).bytes(big)
      .array([1, 2, 3], (w, v) => w.int32(v))
      .toBuffer();
    const r = new Reader(buf);
    expect(r.int8()).toBe(-5);
    expect(r.bool()).toBe(true);
    expect(r.int16()).toBe(-300);
    expect(r.int32()).toBe(123_456_789);
    expect(r.int64()).toBe(2 ** 40 + 3);
    expect(r.bigInt64()).toBe(-1n);
    expect(r.string()).toBe('héllo');
    expect(r.nullableString()).toBeNull();
    expect(r.bytes()).toEqual(Buffer.from([1, 2]));
    expect(r.nullableBytes()).toBeNull();
    expect(r.bytes().equals(big)).toBe(true);
    expect(r.array((x) => x.int32())).toEqual([1, 2, 3]);
    expect(r.remaining).toBe(0);
  });

  it('reads a null array as null and as empty where an array is required', () => {
    const buf = new Writer().int32(-1).int32(-1).toBuffer();
    const r = new Reader(buf);
    expect(r.nullableArray((x) => x.int8())).toBeNull();
    expect(r.array((x) => x.int8())).toEqual([]);
  });

  it('encodes zig-zag varints as Kafka does', () => {
    const cases: [number, number[]][] = [[0, [0]], [-1, [1]], [1, [2]], [-64, [0x7f]], [64, [0x80, 0x01]], [300, [0xd8, 0x04]]];
    for (const [value, bytes] of cases) {
      expect([...new Writer().varInt(value).toBuffer()]).toEqual(bytes);
      expect(new Reader(Buffer.from(bytes)).varInt()).toBe(value);
    }
  });

  it('round-trips varints and varlongs at their extremes', () => {
    const ints = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 12345, -12345];
    const longs = [0, 1, -1, 2 ** 45, -(2 ** 45), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    const w = new Writer();
    for (const v of ints) w.varInt(v);
    for (const v of longs) w.varLong(v);
    w.unsignedVarInt(2 ** 32 - 1);
    const r = new Reader(w.toBuffer());
    for (const v of ints) expect(r.varInt()).toBe(v);
    for (const v of longs) expect(r.varLong()).toBe(v);
    expect(r.unsignedVarInt()).toBe(2 ** 32 - 1);
  });

  it('rejects reads past the end and forged array counts as malformed', () => {
    expect(() => new Reader(Buffer.from([0, 0, 0])).int32()).toThrow(MalformedRequestError);
    expect(() => new Reader(Buffer.from([0, 10, 65])).string()).toThrow(MalformedRequestError);
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).array((x) => x.int8())).toThrow(MalformedRequestError);
    expect(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).varInt()).toThrow(MalformedRequestError);
    expect(() => new Reader(Buffer.from([0xff, 0xff])).string()).toThrow(MalformedRequestError);
  });

  it('keeps large raw buffers by reference instead of copying them', () => {
    const big = Buffer.alloc(64 * 1024, 1);
    const chunks = new Writer().int32(big.length).raw(big).int16(7).toChunks();
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big);
    expect(Buffer.concat(chunks).readInt16BE(4 + big.length)).toBe(7);
  });
});
