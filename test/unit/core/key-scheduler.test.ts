import { describe, it, expect } from 'vitest';
import { KeyScheduler, type Offer, type ScheduledItem } from '../../../src/core/key-scheduler.js';
import { TributaryError } from '../../../src/core/errors.js';

const acceptAll = (): Offer => 'accept';
const payloads = <T>(items: ScheduledItem<T>[]): T[] => items.map((i) => i.payload);

/** Accepts at most one item per key per walk, like a batch that cannot take a second op of a user. */
function onePerKey(): (item: ScheduledItem<string>) => Offer {
  const seen = new Set<string>();
  return (item) => {
    if (seen.has(item.key)) return 'reject-key';
    seen.add(item.key);
    return 'accept';
  };
}

describe('KeyScheduler', () => {
  it('hands out keys in the order they became ready', () => {
    const s = new KeyScheduler<string>();
    s.push('a', 'a1');
    s.push('b', 'b1');
    s.push('c', 'c1');
    expect(payloads(s.take(0, acceptAll))).toEqual(['a1', 'b1', 'c1']);
  });

  it('offers a key\'s consecutive items in one walk so they can share a batch', () => {
    const s = new KeyScheduler<string>();
    s.push('a', 'a1');
    s.push('b', 'b1');
    s.push('a', 'a2');
    s.push('a', 'a3');
    expect(payloads(s.take(0, acceptAll))).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(s.inFlight).toBe(4);
    expect(s.queued).toBe(0);
  });

  it('never hands out an item while an earlier item of its key is in flight', () => {
    const s = new KeyScheduler<string>();
    s.push('a', 'a1');
    s.push('a', 'a2');
    const [a1] = s.take(0, onePerKey());
    expect(a1.payload).toBe('a1');
    expect(s.take(0, acceptAll)).toEqual([]);
    expect(s.hasReady(0)).toBe(false);
    s.complete(a1);
    expect(s.hasReady(0)).toBe(true);
    expect(payloads(s.take(0, acceptAll))).toEqual(['a2']);
  });

  it('lets other keys proceed while one key is in flight', () => {
    const s = new KeyScheduler<string>();
    s.push('a', 'a1');
    s.push('a', 'a2');
    s.take(0, onePerKey());
    s.push('b', 'b1');
    s.push('c', 'c1');
    expect(payloads(s.take(0, acceptAll))).toEqual(['b1', 'c1']);
  });

  it('keeps a rejected key and everything behind it queued, and moves on to the next key', () => {
    const s = new KeyScheduler<string>();
    s.push('a', 'a1');
    s.push('a', 'a2');
    s.push('b', 'b1');
    const offered: string[] = [];
    const taken = s.take(0, (item) => {
      offered.push(item.payload);
      return item.key === 'a' ? 'reject-key' : 'accept';
    });
    expect(offered).toEqual(['a1', 'b1']);
    expect(payloads(taken)).toEqual(['b1']);
    expect(s.queued).toBe(2);
  });

  it('stops rejecting a key\'s later items once one of them is rejected', () => {
    const s = new KeyScheduler<string>();
    for (const p of ['a1', 'a2', 'a3']) s.push('a', p);
    const offered: string[] = [];
    const taken = s.take(0, (item) => {
      offered.push(item.payload);
      return item.payload === 'a2' ? 'reject-key' : 'accept';
    });
    expect(offered).toEqual(['a1', 'a2']);
    expect(payloads(taken)).toEqual(['a1']);
    // a2 waits behind the in-flight a1.
    expect(s.take(0, acceptAll)).toEqual([]);
    s.complete(taken[0]);
    expect(payloads(s.take(0, acceptAll))).toEqual(['a2', 'a3']);
  });

  it('gives a key that accepted nothing its place back at the front for the next walk', () => {
    const s = new KeyScheduler<string>();
    s.push('a', 'a1');
    s.push('b', 'b1');
    s.push('c', 'c1');
    s.take(0, (item) => (item.key === 'a' ? 'reject-key' : item.key === 'b' ? 'accept' : 'stop'));
    s.push('d', 'd1');
    const order: string[] = [];
    s.take(0, (item) => {
      order.push(item.key);
      return 'accept';
    });
    expect(order).toEqual(['a', 'c', 'd']);
  });

  it('ends the walk on stop and leaves the stopped item and later keys queued in order', () => {
    const s = new KeyScheduler<string>();
    for (const k of ['a', 'b', 'c', 'd']) s.push(k, `${k}1`);
    let n = 0;
    const taken = s.take(0, () => (++n <= 2 ? 'accept' : 'stop'));
    expect(payloads(taken)).toEqual(['a1', 'b1']);
    expect(payloads(s.take(0, acceptAll))).toEqual(['c1', 'd1']);
  });

  it('puts a key at the back of the readiness order when it becomes idle again', () => {
    const s = new KeyScheduler<string>();
    s.push('a', 'a1');
    s.push('a', 'a2');
    s.push('b', 'b1');
    const first = s.take(0, (item) => (item.key === 'a' && item.payload === 'a1' ? 'accept' : item.key === 'a' ? 'reject-key' : 'stop'));
    expect(payloads(first)).toEqual(['a1']);
    s.complete(first[0]);
    expect(s.take(0, acceptAll).map((i) => i.key)).toEqual(['b', 'a']);
  });

  describe('retries', () => {
    it('puts a retried item back in front of its key with one more attempt, due later', () => {
      const s = new KeyScheduler<string>();
      s.push('a', 'a1');
      s.push('a', 'a2');
      const [a1] = s.take(0, onePerKey());
      expect(a1.attempt).toBe(1);
      s.retry(a1, 100);
      expect(a1.attempt).toBe(2);
      expect(a1.notBeforeMs).toBe(100);
      expect(s.queued).toBe(2);
      expect(s.inFlight).toBe(0);
      expect(s.take(99, acceptAll)).toEqual([]);
      expect(payloads(s.take(100, acceptAll))).toEqual(['a1', 'a2']);
    });

    it('blocks the rest of the key until the retried item is due, while other keys go on', () => {
      const s = new KeyScheduler<string>();
      s.push('a', 'a1');
      s.push('a', 'a2');
      const [a1] = s.take(0, onePerKey());
      s.retry(a1, 500);
      s.push('b', 'b1');
      expect(s.hasReady(10)).toBe(true);
      expect(payloads(s.take(10, acceptAll))).toEqual(['b1']);
      expect(s.hasReady(10)).toBe(false);
      expect(s.nextDueMs(10)).toBe(500);
    });

    it('restores a batch\'s original order whatever order its items are retried in', () => {
      const s = new KeyScheduler<string>();
      for (const p of ['a1', 'a2', 'a3', 'a4']) s.push('a', p);
      const taken = s.take(0, (item) => (item.payload === 'a4' ? 'reject-key' : 'accept'));
      expect(payloads(taken)).toEqual(['a1', 'a2', 'a3']);
      s.retry(taken[2], 50);
      s.retry(taken[0], 50);
      s.retry(taken[1], 50);
      expect(payloads(s.take(50, acceptAll))).toEqual(['a1', 'a2', 'a3', 'a4']);
    });

    it('does not offer the key until every item of the batch has landed', () => {
      const s = new KeyScheduler<string>();
      s.push('a', 'a1');
      s.push('a', 'a2');
      s.push('a', 'a3');
      const taken = s.take(0, (item) => (item.payload === 'a3' ? 'reject-key' : 'accept'));
      s.retry(taken[0], 0);
      expect(s.take(0, acceptAll)).toEqual([]);
      s.retry(taken[1], 0);
      expect(payloads(s.take(0, acceptAll))).toEqual(['a1', 'a2', 'a3']);
    });

    it('does not offer items of a key that follow an item not yet due', () => {
      const s = new KeyScheduler<string>();
      s.push('a', 'a1');
      s.push('a', 'a2');
      const [a1, a2] = s.take(0, acceptAll);
      s.retry(a1, 10);
      s.retry(a2, 20);
      expect(payloads(s.take(10, acceptAll))).toEqual(['a1']);
      s.complete(a1);
      expect(s.take(15, acceptAll)).toEqual([]);
      expect(s.nextDueMs(15)).toBe(20);
      expect(payloads(s.take(20, acceptAll))).toEqual(['a2']);
    });

    it('reports the earliest due time among waiting keys and null when none wait', () => {
      const s = new KeyScheduler<string>();
      expect(s.nextDueMs(0)).toBeNull();
      for (const k of ['a', 'b', 'c']) s.push(k, k);
      const [a, b, c] = s.take(0, acceptAll);
      s.retry(a, 300);
      s.retry(b, 100);
      s.retry(c, 200);
      expect(s.nextDueMs(0)).toBe(100);
      expect(s.nextDueMs(150)).toBe(200);
      expect(s.hasReady(150)).toBe(true);
      expect(s.take(250, acceptAll).map((i) => i.key)).toEqual(['b', 'c']);
      expect(s.nextDueMs(250)).toBe(300);
    });

    it('waits when the caller\'s clock steps back below a ready item\'s due time', () => {
      const s = new KeyScheduler<string>();
      s.push('a', 'a1');
      const [a1] = s.take(0, acceptAll);
      s.retry(a1, 100);
      expect(s.hasReady(100)).toBe(true);
      expect(s.take(90, acceptAll)).toEqual([]);
      expect(s.hasReady(90)).toBe(false);
      expect(s.nextDueMs(90)).toBe(100);
      expect(payloads(s.take(100, acceptAll))).toEqual(['a1']);
    });
  });

  describe('counts', () => {
    it('counts queued, in-flight and retry-waiting items', () => {
      const s = new KeyScheduler<string>();
      s.push('a', 'a1');
      s.push('a', 'a2');
      s.push('b', 'b1');
      expect([s.queued, s.inFlight, s.size, s.keyCount]).toEqual([3, 0, 3, 2]);
      const taken = s.take(0, onePerKey());
      expect([s.queued, s.inFlight, s.size]).toEqual([1, 2, 3]);
      s.retry(taken[0], 10);
      expect([s.queued, s.inFlight, s.size]).toEqual([2, 1, 3]);
      s.complete(taken[1]);
      expect([s.queued, s.inFlight, s.size, s.keyCount]).toEqual([2, 0, 2, 1]);
    });

    it('forgets a key once it has nothing queued or in flight', () => {
      const s = new KeyScheduler<string>();
      s.push('a', 'a1');
      const [a1] = s.take(0, acceptAll);
      s.complete(a1);
      expect(s.keyCount).toBe(0);
      expect(s.size).toBe(0);
      s.push('a', 'a2');
      expect(payloads(s.take(0, acceptAll))).toEqual(['a2']);
    });
  });

  describe('removeQueued', () => {
    it('removes matching queued items and returns their payloads', () => {
      const s = new KeyScheduler<{ p: number; name: string }>();
      s.push('a', { p: 0, name: 'a1' });
      s.push('a', { p: 1, name: 'a2' });
      s.push('b', { p: 1, name: 'b1' });
      s.push('c', { p: 0, name: 'c1' });
      const removed = s.removeQueued((x) => x.p === 1);
      expect(removed.map((x) => x.name).sort()).toEqual(['a2', 'b1']);
      expect(s.queued).toBe(2);
      expect(s.keyCount).toBe(2);
      expect(s.take(0, acceptAll).map((i) => i.payload.name)).toEqual(['a1', 'c1']);
    });

    it('leaves in-flight items alone and keeps the key blocked until they land', () => {
      const s = new KeyScheduler<{ p: number; name: string }>();
      s.push('a', { p: 1, name: 'a1' });
      s.push('a', { p: 1, name: 'a2' });
      s.push('a', { p: 0, name: 'a3' });
      const [a1] = s.take(0, (item) => (item.payload.name === 'a1' ? 'accept' : 'reject-key'));
      expect(s.removeQueued((x) => x.p === 1).map((x) => x.name)).toEqual(['a2']);
      expect([s.queued, s.inFlight]).toEqual([1, 1]);
      expect(s.take(0, acceptAll)).toEqual([]);
      s.complete(a1);
      expect(s.take(0, acceptAll).map((i) => i.payload.name)).toEqual(['a3']);
    });

    it('unblocks a key whose waiting retry was removed', () => {
      const s = new KeyScheduler<{ p: number; name: string }>();
      s.push('a', { p: 1, name: 'a1' });
      s.push('a', { p: 0, name: 'a2' });
      const [a1] = s.take(0, (item) => (item.payload.name === 'a1' ? 'accept' : 'reject-key'));
      s.retry(a1, 1000);
      expect(s.nextDueMs(0)).toBe(1000);
      s.removeQueued((x) => x.p === 1);
      expect(s.nextDueMs(0)).toBeNull();
      expect(s.take(0, acceptAll).map((i) => i.payload.name)).toEqual(['a2']);
    });

    it('makes a key wait when removal leaves a not-yet-due item at its head', () => {
      const s = new KeyScheduler<{ p: number; name: string }>();
      s.push('a', { p: 0, name: 'a1' });
      s.push('a', { p: 0, name: 'a2' });
      const [a1, a2] = s.take(0, acceptAll);
      s.retry(a1, 0);
      s.retry(a2, 500);
      s.removeQueued((x) => x.name === 'a1');
      expect(s.hasReady(0)).toBe(false);
      expect(s.nextDueMs(0)).toBe(500);
      expect(s.take(500, acceptAll).map((i) => i.payload.name)).toEqual(['a2']);
    });
  });

  describe('misuse', () => {
    it('refuses to complete or retry an item that is not in flight', () => {
      const s = new KeyScheduler<string>();
      const queued = s.push('a', 'a1');
      expect(() => s.complete(queued)).toThrow(TributaryError);
      const [a1] = s.take(0, acceptAll);
      s.complete(a1);
      expect(() => s.complete(a1)).toThrow(TributaryError);
      expect(() => s.retry(a1, 0)).toThrow(TributaryError);
      expect(s.size).toBe(0);
    });

    it('puts back everything accepted in a walk when the offer callback throws', () => {
      const s = new KeyScheduler<string>();
      s.push('a', 'a1');
      s.push('a', 'a2');
      s.push('b', 'b1');
      s.push('c', 'c1');
      expect(() =>
        s.take(0, (item) => {
          if (item.key === 'c') throw new Error('boom');
          return 'accept';
        }),
      ).toThrow('boom');
      expect([s.queued, s.inFlight]).toEqual([4, 0]);
      expect(payloads(s.take(0, acceptAll))).toEqual(['a1', 'a2', 'b1', 'c1']);
    });
  });

  describe('at scale', () => {
    it('walks only ready keys when most keys wait for a retry', () => {
      const s = new KeyScheduler<number>();
      const keys = 20_000;
      for (let k = 0; k < keys; k++) s.push(`k${k}`, k);
      const all = s.take(0, acceptAll);
      for (const item of all) s.retry(item, item.payload === 7 ? 10 : 1_000_000);
      let offers = 0;
      for (let t = 1; t <= 10; t++) {
        s.take(t, () => {
          offers++;
          return 'accept';
        });
      }
      expect(offers).toBe(1);
      expect(s.nextDueMs(10)).toBe(1_000_000);
    });

    it('delivers 100k items over many keys, each key strictly in push order', () => {
      const s = new KeyScheduler<number>();
      const keys = 5000;
      const n = 100_000;
      const lastSeen = new Map<string, number>();
      let random = 12345;
      const next = () => (random = (random * 1103515245 + 12345) % 2147483648) / 2147483648;
      for (let i = 0; i < n; i++) s.push(`k${Math.floor(next() * keys)}`, i);
      let delivered = 0;
      let outOfOrder = 0;
      let now = 0;
      while (s.size > 0) {
        now++;
        let room = 75;
        const batch = s.take(now, () => (room-- > 0 ? 'accept' : 'stop'));
        // Like a request: a user's ops in one batch are retried or delivered together.
        const retriedKeys = new Set<string>();
        for (const key of new Set(batch.map((i) => i.key))) if (next() < 0.05) retriedKeys.add(key);
        for (const item of batch) {
          if (retriedKeys.has(item.key)) {
            s.retry(item, now + 3);
            continue;
          }
          const prev = lastSeen.get(item.key) ?? -1;
          if (item.payload <= prev) outOfOrder++;
          lastSeen.set(item.key, item.payload);
          s.complete(item);
          delivered++;
        }
      }
      expect(outOfOrder).toBe(0);
      expect(delivered).toBe(n);
    });
  });

  it('keeps per-key order under random accepts, rejections, stops, retries and removals', () => {
    let seed = 42;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    interface P {
      id: number;
    }
    const s = new KeyScheduler<P>();
    const unfinished = new Map<string, Set<number>>();
    let inFlight: ScheduledItem<P>[] = [];
    let now = 0;
    for (let step = 0; step < 3000; step++) {
      now += Math.floor(random() * 5);
      const pushes = Math.floor(random() * 4);
      for (let i = 0; i < pushes; i++) {
        const key = `k${Math.floor(random() * 20)}`;
        const payload: P = { id: 0 };
        payload.id = s.push(key, payload).id;
        if (!unfinished.has(key)) unfinished.set(key, new Set());
        unfinished.get(key)!.add(payload.id);
      }
      const acceptedNow = new Set<number>();
      const taken = s.take(now, (item) => {
        expect(item.notBeforeMs).toBeLessThanOrEqual(now);
        // Every earlier unfinished item of this key must have been accepted in this very walk.
        for (const id of unfinished.get(item.key)!) if (id < item.id) expect(acceptedNow.has(id)).toBe(true);
        const r = random();
        const verdict: Offer = r < 0.75 ? 'accept' : r < 0.95 ? 'reject-key' : 'stop';
        if (verdict === 'accept') acceptedNow.add(item.id);
        return verdict;
      });
      inFlight.push(...taken);
      while (inFlight.length > 0 && random() < 0.6) {
        const item = inFlight.shift()!;
        if (random() < 0.2) s.retry(item, now + Math.floor(random() * 20));
        else {
          s.complete(item);
          unfinished.get(item.key)!.delete(item.id);
        }
      }
      if (random() < 0.02) {
        const removed = new Set(s.removeQueued((p) => p.id % 7 === 0).map((p) => p.id));
        for (const set of unfinished.values()) for (const id of removed) set.delete(id);
        inFlight = inFlight.filter((i) => !removed.has(i.id));
      }
      expect(s.size).toBe(s.queued + s.inFlight);
      expect(s.inFlight).toBe(inFlight.length);
    }
  });
});
