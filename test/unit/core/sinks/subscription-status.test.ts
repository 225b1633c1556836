import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_MAX_IDS, SUBSCRIPTION_SET_MAX_GROUPS, subscriptionStatusGetSink, subscriptionStatusSetSink } from '../../../../src/core/sinks/subscription-status.js';
import type { SubscriptionGetOp, SubscriptionSetOp } from '../../../../src/core/ops.js';

const G1 = '11111111-1111-4111-8111-111111111111';
const G2 = '22222222-2222-4222-8222-222222222222';
const get = (phone: string, groupId = G1): SubscriptionGetOp => ({ kind: 'subscription.get', groupId, subscriber: { phone } });
const set = (phone: string, state: 'subscribed' | 'unsubscribed' = 'subscribed', groupId = G1): SubscriptionSetOp => ({ kind: 'subscription.set', groupId, state, subscriber: { phone } });
const res = (status: number, body: unknown) => ({ status, body, headers: () => undefined });

describe('the /subscription/status/get sink', () => {
  it('asks for up to 50 ids of one group and kind in one request, and answers each op with its id\'s state', () => {
    const batch = subscriptionStatusGetSink(10).newBatch<string>(0);
    expect(batch.offer(get('+15550000001'), 'a')).toBe('accept');
    expect(batch.offer(get('+15550000002'), 'b')).toBe('accept');
    expect(batch.offer(get('+15550000003', G2), 'c')).toBe('reject-key');
    expect(batch.offer({ kind: 'subscription.get', groupId: G1, subscriber: { email: 'x@example.com' } }, 'd')).toBe('reject-key');
    expect(batch.flushReason(9)).toBeNull();
    expect(batch.flushReason(10)).toBe('linger');
    const built = batch.build();
    expect(built.request).toEqual({ method: 'GET', path: '/subscription/status/get', query: { subscription_group_id: G1, phone: ['+15550000001', '+15550000002'] } });
    const verdict = built.read(res(200, { status: { '+15550000001': 'Subscribed', '+15550000002': 'Unsubscribed' }, message: 'success' }));
    expect(verdict.kind === 'answered' && ['a', 'b'].map((r) => verdict.resultOf(r))).toEqual([
      { kind: 'delivered', answer: { state: 'subscribed' } },
      { kind: 'delivered', answer: { state: 'unsubscribed' } },
    ]);
  });

  it('reads an id missing from the answer as unknown, and is full at 50 ids', () => {
    const batch = subscriptionStatusGetSink(10).newBatch<number>(0);
    for (let i = 0; i < SUBSCRIPTION_MAX_IDS; i++) expect(batch.offer(get(`+1555000${String(i).padStart(4, '0')}`), i)).toBe('accept');
    expect(batch.offer(get('+15559999999'), 99)).toBe('full');
    expect(batch.flushReason(0)).toBe('count');
    const verdict = batch.build().read(res(200, { status: {} }));
    expect(verdict.kind === 'answered' && verdict.resultOf(0)).toEqual({ kind: 'delivered', answer: { state: 'unknown' } });
  });

  it('classifies errors like every Braze endpoint', () => {
    const batch = subscriptionStatusGetSink(0).newBatch<string>(0);
    batch.offer(get('+15550000001'), 'a');
    const built = batch.build();
    expect(built.read(res(429, {})).kind).toBe('retry');
    expect(built.read(res(503, {})).kind).toBe('retry');
    expect(built.read(res(400, { message: 'bad group' }))).toEqual({ kind: 'reject', status: 400, message: 'bad group' });
    expect(built.read(res(401, { message: 'Invalid API key' })).kind).toBe('config');
  });
});

describe('the /v2/subscription/status/set sink', () => {
  it('merges one group, state and id kind into one entry, with double opt-in kept apart', () => {
    const batch = subscriptionStatusSetSink(10).newBatch<string>(0);
    batch.offer(set('+15550000001'), 'a');
    batch.offer(set('+15550000002'), 'b');
    batch.offer({ ...set('+15550000003'), useDoubleOptIn: true }, 'c');
    batch.offer(set('+15550000004', 'subscribed', G2), 'd');
    expect(batch.build().request).toEqual({
      method: 'POST',
      path: '/v2/subscription/status/set',
      body: {
        subscription_groups: [
          { subscription_group_id: G1, subscription_state: 'subscribed', phones: ['+15550000001', '+15550000002'] },
          { subscription_group_id: G1, subscription_state: 'subscribed', phones: ['+15550000003'], use_double_opt_in_logic: true },
          { subscription_group_id: G2, subscription_state: 'subscribed', phones: ['+15550000004'] },
        ],
      },
    });
  });

  it('never puts one subscriber in two entries of a group in one request', () => {
    const batch = subscriptionStatusSetSink(10).newBatch<string>(0);
    expect(batch.offer(set('+15550000001', 'subscribed'), 'a')).toBe('accept');
    expect(batch.offer(set('+15550000001', 'unsubscribed'), 'b')).toBe('reject-key');
  });

  it('is full at 50 ids in an entry or at the group cap', () => {
    const byIds = subscriptionStatusSetSink(10).newBatch<number>(0);
    for (let i = 0; i < SUBSCRIPTION_MAX_IDS; i++) byIds.offer(set(`+1555000${String(i).padStart(4, '0')}`), i);
    expect(byIds.offer(set('+15559999999'), 99)).toBe('full');
    expect(byIds.flushReason(0)).toBe('count');
    const byGroups = subscriptionStatusSetSink(10).newBatch<number>(0);
    for (let i = 0; i < SUBSCRIPTION_SET_MAX_GROUPS; i++) byGroups.offer(set('+15550000001', 'subscribed', `g-${i}`), i);
    expect(byGroups.offer(set('+15550000001', 'subscribed', 'g-new'), 99)).toBe('full');
  });
});
