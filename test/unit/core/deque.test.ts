import { describe, it, expect } from 'vitest';
import { Deque } from '../../../src/core/deque.js';

describe('Deque', () => {
  it('hands values out first in, first out', () => {
    const d = new Deque<number>();
    d.push(1);
    d.push(2);
    d.push(3);
    expect(d.length).toBe(3);
    expect(d.shift()).toBe(1);
    expect(d.peek()).toBe(2);
    expect([...d]).toEqual([2, 3]);
    expect(d.shift()).toBe(2);
    expect(d.shift()).toBe(3);
    expect(d.shift()).toBeUndefined();
    expect(d.length).toBe(0);
  });

  it('puts values back in front, singly or as an ordered list', () => {
    const d = new Deque<number>();
    for (const v of [1, 2, 3, 4]) d.push(v);
    d.shift();
    d.shift();
    d.unshift(2);
    expect([...d]).toEqual([2, 3, 4]);
    d.prependAll([0, 1]);
    expect([...d]).toEqual([0, 1, 2, 3, 4]);
    d.prependAll([-3, -2, -1]);
    expect([...d]).toEqual([-3, -2, -1, 0, 1, 2, 3, 4]);
  });

  it('inserts at a position counted from the front', () => {
    const d = new Deque<string>();
    d.push('a');
    d.push('c');
    d.shift();
    d.insert(0, 'a');
    d.insert(1, 'b');
    d.insert(3, 'd');
    expect([...d]).toEqual(['a', 'b', 'c', 'd']);
    expect(d.at(1)).toBe('b');
    expect(d.at(4)).toBeUndefined();
    expect(d.at(-1)).toBeUndefined();
  });

  it('removes matching values and keeps the rest in order', () => {
    const d = new Deque<number>();
    for (let i = 0; i < 10; i++) d.push(i);
    d.shift();
    expect(d.removeWhere((v) => v % 3 === 0)).toEqual([3, 6, 9]);
    expect([...d]).toEqual([1, 2, 4, 5, 7, 8]);
  });

  it('is left untouched when the removal predicate throws', () => {
    const d = new Deque<number>();
    for (const v of [1, 2, 3]) d.push(v);
    expect(() =>
      d.removeWhere((v) => {
        if (v === 3) throw new Error('boom');
        return true;
      }),
    ).toThrow('boom');
    expect([...d]).toEqual([1, 2, 3]);
  });

  it('stays correct through long runs of pushes and shifts', () => {
    const d = new Deque<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 100; i++) d.push(next++);
      for (let i = 0; i < 90; i++) expect(d.shift()).toBe(expected++);
    }
    expect(d.length).toBe(next - expected);
    expect(d.peek()).toBe(expected);
  });
});
