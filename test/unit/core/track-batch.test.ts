import { describe, it, expect } from 'vitest';
import {
  TrackBatch,
  isAttributeOperator,
  toBrazeObject,
  validateTrackBatchPolicy,
  type TrackBatchPolicy,
} from '../../../src/core/track-batch.js';
import type { TrackAttributesOp, TrackEventOp, TrackOp, TrackPurchaseOp, JsonObject } from '../../../src/core/ops.js';
import { TributaryError } from '../../../src/core/errors.js';

const combined: TrackBatchPolicy = { mode: 'combined', maxObjects: 75, maxBytes: 1_000_000, lingerMs: 100 };
const legacy: TrackBatchPolicy = { mode: 'legacy', maxObjects: 75, maxBytes: 1_000_000, lingerMs: 100 };

const attrs = (id: string, attributes: JsonObject, updateExistingOnly?: boolean): TrackAttributesOp => ({
  kind: 'track.attributes',
  user: { external_id: id },
  attributes,
  ...(updateExistingOnly === undefined ? {} : { updateExistingOnly }),
});
const event = (id: string, name = 'e'): TrackEventOp => ({ kind: 'track.event', user: { external_id: id }, name, time: '2024-05-01T10:00:00Z' });
const purchase = (id: string): TrackPurchaseOp => ({
  kind: 'track.purchase',
  user: { external_id: id },
  productId: 'p1',
  currency: 'USD',
  price: 9.99,
  time: '2024-05-01T10:00:00Z',
});

/** The body's byte length; also checks that the serialized body sent is exactly JSON.stringify(body). */
const bodyBytes = (b: TrackBatch<unknown>) => {
  const built = b.build();
  expect(built.json).toBe(JSON.stringify(built.body));
  return Buffer.byteLength(built.json, 'utf8');
};

describe('toBrazeObject', () => {
  it('spreads the identifier, then the attributes', () => {
    expect(toBrazeObject(attrs('u1', { tier: 'gold', visits: { inc: 1 } }))).toEqual({ external_id: 'u1', tier: 'gold', visits: { inc: 1 } });
  });

  it('adds _update_existing_only only when the op sets it', () => {
    expect(toBrazeObject(attrs('u1', { a: 1 }, false))).toEqual({ external_id: 'u1', a: 1, _update_existing_only: false });
    expect(toBrazeObject(attrs('u1', { a: 1 }))).not.toHaveProperty('_update_existing_only');
  });

  it('keeps the op\'s identifier when an attribute has the same name', () => {
    expect(toBrazeObject(attrs('u1', { external_id: 'other', a: 1 }))).toEqual({ external_id: 'u1', a: 1 });
  });

  it('writes an alias identifier as a user_alias object', () => {
    const op: TrackEventOp = {
      kind: 'track.event',
      user: { user_alias: { alias_name: 'a@b.com', alias_label: 'email' } },
      name: 'quikly_activation',
      time: '2024-05-01T10:00:00Z',
      properties: { promo: 'x' },
      updateExistingOnly: false,
    };
    expect(toBrazeObject(op)).toEqual({
      user_alias: { alias_name: 'a@b.com', alias_label: 'email' },
      name: 'quikly_activation',
      time: '2024-05-01T10:00:00Z',
      properties: { promo: 'x' },
      _update_existing_only: false,
    });
  });

  it('writes an event without properties as name and time only', () => {
    expect(toBrazeObject(event('u1', 'shared'))).toEqual({ external_id: 'u1', name: 'shared', time: '2024-05-01T10:00:00Z' });
  });

  it('writes a purchase in Braze\'s field names, with quantity and properties when given', () => {
    expect(toBrazeObject(purchase('u1'))).toEqual({
      external_id: 'u1',
      product_id: 'p1',
      currency: 'USD',
      price: 9.99,
      time: '2024-05-01T10:00:00Z',
    });
    expect(toBrazeObject({ ...purchase('u1'), quantity: 2, properties: { size: 'L' } })).toMatchObject({ quantity: 2, properties: { size: 'L' } });
  });
});

describe('TrackBatch', () => {
  describe('object limits', () => {
    it('takes 75 objects combined and answers full for the 76th', () => {
      const b = new TrackBatch<number>(combined, 0);
      for (let i = 0; i < 25; i++) expect(b.offer(attrs(`a${i}`, { x: i }), i)).toBe('accept');
      for (let i = 0; i < 25; i++) expect(b.offer(event(`e${i}`), i)).toBe('accept');
      for (let i = 0; i < 25; i++) expect(b.offer(purchase(`p${i}`), i)).toBe('accept');
      expect(b.objectCount).toBe(75);
      expect(b.offer(event('late'), 99)).toBe('full');
      expect(b.offer(attrs('late', { x: 1 }), 99)).toBe('full');
      expect(b.flushReason(0)).toBe('count');
    });

    it('takes 75 per array in legacy mode, 225 in all', () => {
      const b = new TrackBatch<number>(legacy, 0);
      for (let i = 0; i < 75; i++) expect(b.offer(attrs(`a${i}`, { x: i }), i)).toBe('accept');
      expect(b.offer(attrs('a75', { x: 1 }), 75)).toBe('full');
      for (let i = 0; i < 75; i++) expect(b.offer(event(`e${i}`), i)).toBe('accept');
      for (let i = 0; i < 75; i++) expect(b.offer(purchase(`p${i}`), i)).toBe('accept');
      expect(b.offer(event('e75'), 75)).toBe('full');
      expect(b.offer(purchase('p75'), 75)).toBe('full');
      expect(b.objectCount).toBe(225);
    });

    it('asks for a flush in legacy mode as soon as one array is full', () => {
      const b = new TrackBatch<number>(legacy, 0);
      for (let i = 0; i < 74; i++) b.offer(event(`e${i}`), i);
      expect(b.flushReason(0)).toBeNull();
      b.offer(event('e74'), 74);
      expect(b.flushReason(0)).toBe('count');
    });

    it('caps maxObjects at Braze\'s 75 whatever the policy says', () => {
      const b = new TrackBatch<number>({ ...combined, maxObjects: Number.MAX_SAFE_INTEGER }, 0);
      for (let i = 0; i < 75; i++) expect(b.offer(event(`u${i}`), i)).toBe('accept');
      expect(b.offer(event('u75'), 75)).toBe('full');
    });

    it('honours a smaller maxObjects', () => {
      const b = new TrackBatch<number>({ ...combined, maxObjects: 2 }, 0);
      b.offer(event('a'), 0);
      b.offer(event('b'), 1);
      expect(b.offer(event('c'), 2)).toBe('full');
      expect(b.flushReason(0)).toBe('count');
    });

    it('still merges into an existing attributes object when no new object fits', () => {
      const b = new TrackBatch<number>({ ...combined, maxObjects: 1 }, 0);
      b.offer(attrs('u1', { a: 1 }), 0);
      expect(b.offer(attrs('u1', { b: 2 }), 1)).toBe('accept');
      expect(b.offer(attrs('u2', { b: 2 }), 2)).toBe('full');
      expect(b.objectCount).toBe(1);
      expect(b.opCount).toBe(2);
    });
  });

  describe('bytes', () => {
    it('counts the exact UTF-8 size of the body it builds', () => {
      const b = new TrackBatch<number>(combined, 0);
      expect(b.bytes).toBe(2);
      b.offer(event('u1', 'ünïcødé ✓'), 0);
      expect(b.bytes).toBe(bodyBytes(b));
      b.offer(purchase('u2'), 1);
      expect(b.bytes).toBe(bodyBytes(b));
      b.offer(attrs('u3', { city: 'Zürich' }), 2);
      expect(b.bytes).toBe(bodyBytes(b));
      b.offer(event('u4'), 3);
      expect(b.bytes).toBe(bodyBytes(b));
      b.offer(attrs('u3', { city: 'Genève', tier: 'gold' }), 4);
      expect(b.bytes).toBe(bodyBytes(b));
      b.offer(attrs('u5', {}), 5);
      expect(b.bytes).toBe(bodyBytes(b));
    });

    it('answers full when the next object would pass maxBytes, and says why', () => {
      const one = Buffer.byteLength(JSON.stringify({ events: [toBrazeObject(event('u0'))] }));
      const b = new TrackBatch<number>({ ...combined, maxBytes: one * 2 }, 0);
      expect(b.offer(event('u0'), 0)).toBe('accept');
      expect(b.offer(event('u1'), 1)).toBe('accept');
      expect(b.offer(event('u2'), 2)).toBe('full');
      expect(b.bytes).toBeLessThanOrEqual(one * 2);
      expect(b.flushReason(0)).toBe('bytes');
    });

    it('asks for a flush once the body is near maxBytes', () => {
      const size = Buffer.byteLength(JSON.stringify({ events: [toBrazeObject(event('u0'))] }));
      const b = new TrackBatch<number>({ ...combined, maxBytes: Math.floor(size / 0.95) }, 0);
      b.offer(event('u0'), 0);
      expect(b.flushReason(0)).toBe('bytes');
    });

    it('accepts an op larger than maxBytes into an empty batch so it is still sent', () => {
      const b = new TrackBatch<number>({ ...combined, maxBytes: 10 }, 0);
      expect(b.offer(attrs('u1', { bio: 'x'.repeat(100) }), 0)).toBe('accept');
      expect(b.offer(event('u2'), 1)).toBe('full');
      expect(b.flushReason(0)).toBe('bytes');
    });

    it('refuses a merge that would push the body past maxBytes', () => {
      const first = attrs('u1', { a: 1 });
      const size = Buffer.byteLength(JSON.stringify({ attributes: [toBrazeObject(first)] }));
      const b = new TrackBatch<number>({ ...combined, maxBytes: size + 5 }, 0);
      b.offer(first, 0);
      expect(b.offer(attrs('u1', { long: 'y'.repeat(50) }), 1)).toBe('full');
      expect(b.build().body.attributes).toEqual([{ external_id: 'u1', a: 1 }]);
    });
  });

  describe('merging attribute updates', () => {
    it('merges a user\'s plain updates into one object, last write wins', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(attrs('u1', { tier: 'silver', city: 'Paris' }), 'r1');
      b.offer(attrs('u2', { tier: 'bronze' }), 'r2');
      b.offer(attrs('u1', { tier: 'gold', zip: null }), 'r3');
      const { body, refs } = b.build();
      expect(body.attributes).toEqual([
        { external_id: 'u1', tier: 'gold', city: 'Paris', zip: null },
        { external_id: 'u2', tier: 'bronze' },
      ]);
      expect(refs.attributes).toEqual([['r1', 'r3'], ['r2']]);
      expect(b.objectCount).toBe(2);
      expect(b.opCount).toBe(3);
    });

    it('replaces arrays and nested objects as whole values', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(attrs('u1', { tags: ['a', 'b'], fav: { title: 'x', year: 1 } }), 'r1');
      expect(b.offer(attrs('u1', { tags: ['c'], fav: { title: 'y' } }), 'r2')).toBe('accept');
      expect(b.build().body.attributes).toEqual([{ external_id: 'u1', tags: ['c'], fav: { title: 'y' } }]);
    });

    it('merges an operator with other keys but never two values for one key when either is an operator', () => {
      const b = new TrackBatch<string>(combined, 0);
      expect(b.offer(attrs('u1', { visits: { inc: 1 } }), 'r1')).toBe('accept');
      expect(b.offer(attrs('u1', { tier: 'gold' }), 'r2')).toBe('accept');
      expect(b.offer(attrs('u1', { visits: { inc: 1 } }), 'r3')).toBe('reject-key');
      expect(b.offer(attrs('u1', { visits: 5 }), 'r4')).toBe('reject-key');
      expect(b.offer(attrs('u1', { tier: { add: ['x'] } }), 'r5')).toBe('reject-key');
      expect(b.build().body.attributes).toEqual([{ external_id: 'u1', visits: { inc: 1 }, tier: 'gold' }]);
    });

    it.each(['inc', 'add', 'remove', '$add', '$remove', '$update'])('treats %s as an operator', (operator) => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(attrs('u1', { k: 'plain' }), 'r1');
      expect(b.offer(attrs('u1', { k: { [operator]: [] } }), 'r2')).toBe('reject-key');
    });

    it('does not merge when either op sets _merge_objects', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(attrs('u1', { fav: { a: 1 }, _merge_objects: true }), 'r1');
      expect(b.offer(attrs('u1', { other: 1 }), 'r2')).toBe('reject-key');
      const c = new TrackBatch<string>(combined, 0);
      c.offer(attrs('u1', { other: 1 }), 'r1');
      expect(c.offer(attrs('u1', { fav: { a: 1 }, _merge_objects: true }), 'r2')).toBe('reject-key');
    });

    it('does not merge ops whose update-existing-only flags differ', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(attrs('u1', { a: 1 }, false), 'r1');
      expect(b.offer(attrs('u1', { b: 1 }), 'r2')).toBe('reject-key');
      expect(b.offer(attrs('u1', { b: 1 }, true), 'r3')).toBe('reject-key');
      expect(b.offer(attrs('u1', { b: 1 }, false), 'r4')).toBe('accept');
      expect(b.build().body.attributes).toEqual([{ external_id: 'u1', a: 1, b: 1, _update_existing_only: false }]);
    });

    it('merges users addressed by the same key and keeps the first identifier', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer({ kind: 'track.attributes', user: { email: 'A@b.com' }, attributes: { a: 1 } }, 'r1');
      expect(b.offer({ kind: 'track.attributes', user: { email: 'a@b.com' }, attributes: { b: 2 } }, 'r2')).toBe('accept');
      expect(b.build().body.attributes).toEqual([{ email: 'A@b.com', a: 1, b: 2 }]);
    });

    it('never merges events or purchases', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(event('u1', 'a'), 'r1');
      b.offer(event('u1', 'a'), 'r2');
      b.offer(purchase('u1'), 'r3');
      b.offer(purchase('u1'), 'r4');
      const { body, refs } = b.build();
      expect(body.events).toHaveLength(2);
      expect(body.purchases).toHaveLength(2);
      expect(refs.events).toEqual([['r1'], ['r2']]);
      expect(refs.purchases).toEqual([['r3'], ['r4']]);
    });
  });

  describe('per-user order', () => {
    it('accepts a user\'s ops in attributes, events, purchases order', () => {
      const b = new TrackBatch<string>(combined, 0);
      expect(b.offer(attrs('u1', { a: 1 }), 'r1')).toBe('accept');
      expect(b.offer(event('u1'), 'r2')).toBe('accept');
      expect(b.offer(event('u1'), 'r3')).toBe('accept');
      expect(b.offer(purchase('u1'), 'r4')).toBe('accept');
    });

    it('rejects a user\'s attributes after that user\'s event, since Braze would apply them first', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(event('u1'), 'r1');
      expect(b.offer(attrs('u1', { a: 1 }), 'r2')).toBe('reject-key');
    });

    it('rejects a user\'s event after that user\'s purchase', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(purchase('u1'), 'r1');
      expect(b.offer(event('u1'), 'r2')).toBe('reject-key');
      expect(b.offer(attrs('u1', { a: 1 }), 'r3')).toBe('reject-key');
    });

    it('does not merge attributes into an object the user\'s event came after', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(attrs('u1', { a: 1 }), 'r1');
      b.offer(event('u1'), 'r2');
      expect(b.offer(attrs('u1', { a: 2 }), 'r3')).toBe('reject-key');
      expect(b.build().body.attributes).toEqual([{ external_id: 'u1', a: 1 }]);
    });

    it('applies the order rule per user only', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(purchase('u1'), 'r1');
      expect(b.offer(attrs('u2', { a: 1 }), 'r2')).toBe('accept');
      expect(b.offer(event('u2'), 'r3')).toBe('accept');
    });

    it('checks per-user order before room, so a blocked op is reported as reject-key', () => {
      const b = new TrackBatch<string>({ ...combined, maxObjects: 1 }, 0);
      b.offer(event('u1'), 'r1');
      expect(b.offer(attrs('u1', { a: 1 }), 'r2')).toBe('reject-key');
      expect(b.offer(event('u2'), 'r3')).toBe('full');
    });
  });

  describe('build', () => {
    it('sends only the arrays that have objects', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(event('u1'), 'r1');
      expect(Object.keys(b.build().body)).toEqual(['events']);
    });

    it('maps every array index back to the refs of the ops in that object', () => {
      const b = new TrackBatch<string>(combined, 0);
      const ops: [TrackOp, string][] = [
        [attrs('u1', { a: 1 }), 'r1'],
        [event('u2'), 'r2'],
        [attrs('u3', { a: 1 }), 'r3'],
        [attrs('u1', { b: 1 }), 'r4'],
        [purchase('u1'), 'r5'],
        [event('u1'), 'r6'],
        [event('u3'), 'r7'],
      ];
      const verdicts = ops.map(([op, ref]) => b.offer(op, ref));
      expect(verdicts).toEqual(['accept', 'accept', 'accept', 'accept', 'accept', 'reject-key', 'accept']);
      const { body, refs } = b.build();
      expect(refs).toEqual({ attributes: [['r1', 'r4'], ['r3']], events: [['r2'], ['r7']], purchases: [['r5']] });
      expect((body.events as { external_id: string }[]).map((e) => e.external_id)).toEqual(['u2', 'u3']);
    });

    it('returns a body later merges do not change', () => {
      const b = new TrackBatch<string>(combined, 0);
      b.offer(attrs('u1', { a: 1 }), 'r1');
      const first = b.build();
      b.offer(attrs('u1', { a: 2 }), 'r2');
      expect(first.body.attributes).toEqual([{ external_id: 'u1', a: 1 }]);
      expect(first.refs.attributes).toEqual([['r1']]);
    });

    it('rebuilds the same accepted ops into the same body when offered again in order', () => {
      const ops: TrackOp[] = [attrs('u1', { a: 1 }), attrs('u1', { v: { inc: 1 } }), event('u1'), attrs('u2', { a: 2 }), purchase('u2')];
      const b = new TrackBatch<number>(combined, 0);
      const accepted = ops.filter((op, i) => b.offer(op, i) === 'accept');
      const again = new TrackBatch<number>({ ...combined, maxObjects: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER }, 0);
      expect(accepted.map((op, i) => again.offer(op, i))).toEqual(accepted.map(() => 'accept'));
      expect(again.build().body).toEqual(b.build().body);
    });
  });

  describe('flushReason', () => {
    it('says nothing for an empty batch, even after linger', () => {
      expect(new TrackBatch<string>(combined, 0).flushReason(10_000)).toBeNull();
    });

    it('says linger once lingerMs has passed since the batch opened', () => {
      const b = new TrackBatch<string>(combined, 1000);
      b.offer(event('u1'), 'r1');
      expect(b.flushReason(1099)).toBeNull();
      expect(b.flushReason(1100)).toBe('linger');
      expect(b.openedAtMs).toBe(1000);
    });

    it('flushes at once with a zero linger', () => {
      const b = new TrackBatch<string>({ ...combined, lingerMs: 0 }, 5);
      b.offer(event('u1'), 'r1');
      expect(b.flushReason(5)).toBe('linger');
    });

    it('prefers count over bytes over linger', () => {
      const b = new TrackBatch<string>({ ...combined, maxObjects: 1, maxBytes: 10 }, 0);
      b.offer(event('u1'), 'r1');
      expect(b.flushReason(1000)).toBe('count');
    });
  });

  describe('policy', () => {
    it.each([
      [{ mode: 'other', maxObjects: 75, maxBytes: 1000, lingerMs: 0 }],
      [{ mode: 'combined', maxObjects: 0, maxBytes: 1000, lingerMs: 0 }],
      [{ mode: 'combined', maxObjects: Number.NaN, maxBytes: 1000, lingerMs: 0 }],
      [{ mode: 'combined', maxObjects: 75, maxBytes: 0, lingerMs: 0 }],
      [{ mode: 'combined', maxObjects: 75, maxBytes: 1000, lingerMs: -1 }],
    ])('rejects %j at construction', (policy) => {
      expect(() => new TrackBatch(policy as TrackBatchPolicy, 0)).toThrow(TributaryError);
      expect(() => validateTrackBatchPolicy(policy as TrackBatchPolicy)).toThrow(TributaryError);
    });
  });
});

describe('isAttributeOperator', () => {
  it('recognises operator objects and nothing else', () => {
    expect(isAttributeOperator({ inc: 1 })).toBe(true);
    expect(isAttributeOperator({ add: ['a'], remove: ['b'] })).toBe(true);
    expect(isAttributeOperator({ $update: [] })).toBe(true);
    expect(isAttributeOperator({ title: 'x' })).toBe(false);
    expect(isAttributeOperator(['inc'])).toBe(false);
    expect(isAttributeOperator(null)).toBe(false);
    expect(isAttributeOperator('inc')).toBe(false);
    expect(isAttributeOperator(undefined)).toBe(false);
  });
});
