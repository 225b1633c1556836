import { describe, it, expect } from 'vitest';
import { OffsetWatermark } from '../../../src/core/offset-watermark.js';
import { TributaryError } from '../../../src/core/errors.js';

function tracked(...offsets: number[]): OffsetWatermark {
  const w = new OffsetWatermark();
  for (const o of offsets) w.track(String(o));
  return w;
}

describe('OffsetWatermark', () => {
  it('has nothing to commit before anything is tracked', () => {
    const w = new OffsetWatermark();
    expect(w.committable()).toBeNull();
    expect(w.pending).toBe(0);
  });

  it('commits nothing while the first tracked record is undelivered', () => {
    const w = tracked(10, 11, 12);
    expect(w.committable()).toBe('10');
    w.markCommitted('10');
    expect(w.committable()).toBeNull();
  });

  it('commits only up to the first undelivered offset', () => {
    const w = tracked(0, 1, 2, 3);
    w.done('0');
    w.done('2');
    w.done('3');
    expect(w.committable()).toBe('1');
    expect(w.pending).toBe(1);
  });

  it('commits past the last record once every record is done', () => {
    const w = tracked(0, 1, 2);
    for (const o of ['0', '1', '2']) w.done(o);
    expect(w.committable()).toBe('3');
    expect(w.pending).toBe(0);
  });

  it('jumps over gaps in the offsets (compacted topics, transaction markers)', () => {
    const w = tracked(5, 9, 20);
    w.done('5');
    expect(w.committable()).toBe('9');
    w.done('9');
    expect(w.committable()).toBe('20');
    w.done('20');
    expect(w.committable()).toBe('21');
  });

  it('advances when earlier records finish after later ones', () => {
    const w = tracked(1, 2, 3, 4);
    w.done('4');
    w.done('3');
    w.done('2');
    expect(w.committable()).toBe('1');
    w.done('1');
    expect(w.committable()).toBe('5');
  });

  it('returns null when the committable offset was already committed', () => {
    const w = tracked(1, 2);
    w.done('1');
    expect(w.committable()).toBe('2');
    w.markCommitted('2');
    expect(w.committable()).toBeNull();
    expect(w.committed).toBe('2');
    w.done('2');
    expect(w.committable()).toBe('3');
  });

  it('treats done as idempotent and ignores unknown offsets', () => {
    const w = tracked(1, 2);
    w.done('1');
    w.done('1');
    w.done('7');
    w.done('0');
    expect(w.pending).toBe(1);
    expect(w.committable()).toBe('2');
  });

  it('ignores a re-delivered offset and finishes it on the first done', () => {
    const w = tracked(3, 4);
    w.track('3');
    expect(w.pending).toBe(2);
    w.done('3');
    expect(w.committable()).toBe('4');
    w.track('3');
    w.track('4');
    expect(w.pending).toBe(1);
    expect(w.committable()).toBe('4');
    w.done('4');
    expect(w.committable()).toBe('5');
  });

  it('rejects strings that are not offsets', () => {
    const w = new OffsetWatermark();
    expect(() => w.track('-1')).toThrow(TributaryError);
    expect(() => w.track('abc')).toThrow(TributaryError);
    expect(() => w.track('')).toThrow(TributaryError);
  });

  it('handles offsets beyond 2^53 exactly', () => {
    const w = new OffsetWatermark();
    w.track('9007199254740993');
    w.track('9007199254740995');
    w.done('9007199254740993');
    expect(w.committable()).toBe('9007199254740995');
    w.done('9007199254740995');
    expect(w.committable()).toBe('9007199254740996');
  });

  it('keeps tracking correctly across many records finishing in a shuffled order', () => {
    const w = new OffsetWatermark();
    const n = 50_000;
    for (let i = 0; i < n; i++) w.track(String(i * 2));
    // Finish in blocks, each block in reverse order, checking the watermark at every block boundary.
    const block = 1000;
    for (let start = 0; start < n; start += block) {
      for (let i = start + block - 1; i > start; i--) w.done(String(i * 2));
      // The block's first record is still open, so the watermark stays where the last commit left it.
      expect(w.committable()).toBe(start === 0 ? '0' : null);
      w.done(String(start * 2));
      const expected = start + block < n ? String((start + block) * 2) : String((n - 1) * 2 + 1);
      expect(w.committable()).toBe(expected);
      w.markCommitted(expected);
    }
    expect(w.pending).toBe(0);
    expect(w.committable()).toBeNull();
  });
});
