import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameTooLargeError } from '../../../src/kafka/frame-decoder.js';

function frame(body: string): Buffer {
  const b = Buffer.from(body);
  const size = Buffer.alloc(4);
  size.writeInt32BE(b.length, 0);
  return Buffer.concat([size, b]);
}

describe('kafka frame decoder', () => {
  it('splits several frames arriving in one chunk', () => {
    const d = new FrameDecoder(1024);
    const frames = d.push(Buffer.concat([frame('one'), frame('two'), frame(''), frame('three')]));
    expect(frames.map((f) => f.toString())).toEqual(['one', 'two', '', 'three']);
    expect(d.pending).toBe(false);
  });

  it('reassembles frames fed one byte at a time', () => {
    const d = new FrameDecoder(1024);
    const bytes = Buffer.concat([frame('hello'), frame('world')]);
    const out: string[] = [];
    for (const byte of bytes) for (const f of d.push(Buffer.from([byte]))) out.push(f.toString());
    expect(out).toEqual(['hello', 'world']);
  });

  it('reassembles a frame split at every possible point', () => {
    const bytes = Buffer.concat([frame('abcdef'), frame('gh')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new FrameDecoder(1024);
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))].map((f) => f.toString());
      expect(out).toEqual(['abcdef', 'gh']);
    }
  });

  it('refuses frames larger than the limit or with a negative size', () => {
    const tooBig = Buffer.alloc(4);
    tooBig.writeInt32BE(2048, 0);
    expect(() => new FrameDecoder(1024).push(tooBig)).toThrow(FrameTooLargeError);
    expect(() => new FrameDecoder(1024).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(FrameTooLargeError);
  });
});
