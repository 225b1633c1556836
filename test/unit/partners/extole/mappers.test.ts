import { describe, expect, it } from 'vitest';
import type { ExtoleOptions } from '../../../../src/partners/options.js';
import { extoleUser, mapExtoleEvent, rewardEventName } from '../../../../src/partners/extole/mappers.js';

const defaults: ExtoleOptions = { externalIdFrom: 'partner_user_id', withoutExternalId: 'lookup', rewardStates: ['FULFILLED'] };
const allStates: ExtoleOptions = {
  ...defaults, rewardStates: ['FULFILLED', 'EARNED', 'SENT', 'REDEEMED', 'FAILED', 'CANCELED', 'REVOKED'],
};
const base = { event_id: 'evt-1', occurred_at: 1714557600000, partner_user_id: 'customer-42', email: 'jane@example.com' };

describe('extoleUser', () => {
  it('takes external_id from partner_user_id by default', () => {
    expect(extoleUser({ partnerUserId: 'c-1', email: 'a@example.com' }, defaults)).toEqual({ user: { external_id: 'c-1' } });
  });

  it('takes external_id from the email when configured', () => {
    expect(extoleUser({ partnerUserId: 'c-1', email: 'a@example.com' }, { ...defaults, externalIdFrom: 'email' }))
      .toEqual({ user: { external_id: 'a@example.com' } });
  });

  it('looks the email up when the configured field is absent', () => {
    expect(extoleUser({ email: 'a@example.com' }, defaults)).toEqual({ lookup: 'a@example.com' });
  });

  it('addresses the profile by Braze\'s email identifier when look-ups are switched off', () => {
    expect(extoleUser({ email: 'a@example.com' }, { ...defaults, withoutExternalId: 'email-identifier' })).toEqual({ user: { email: 'a@example.com' } });
  });

  it('does not fall back to partner_user_id when external ids come from emails', () => {
    expect(() => extoleUser({ partnerUserId: 'c-1' }, { ...defaults, externalIdFrom: 'email' }))
      .toThrow(expect.objectContaining({ code: 'no_identifier' }) as Error);
  });
});

describe('mapExtoleEvent for program events', () => {
  it('puts the attributes op before the event op, on the same user', () => {
    const result = mapExtoleEvent({ ...base, kind: 'program_event', name: 'extole_shared' }, defaults);
    expect(result.type === 'ops' && result.ops.map((op) => [op.kind, 'user' in op ? op.user : null])).toEqual([
      ['track.attributes', { external_id: 'customer-42' }],
      ['track.event', { external_id: 'customer-42' }],
    ]);
  });

  it('sends only the event when there is no profile data', () => {
    const { email: _email, ...withoutEmail } = base;
    const result = mapExtoleEvent({ ...withoutEmail, kind: 'program_event', name: 'extole_shared' }, defaults);
    expect(result).toEqual({
      type: 'ops',
      ops: [{
        kind: 'track.event', user: { external_id: 'customer-42' }, name: 'extole_shared',
        time: '2024-05-01T10:00:00.000Z', properties: { partner: 'Extole' },
      }],
    });
  });

  it('passes the extras on as event properties', () => {
    const result = mapExtoleEvent({
      ...base, kind: 'program_event', name: 'extole_converted', properties: { order_total: 9.5 },
    }, defaults);
    expect(result.type === 'ops' && result.ops[1]).toMatchObject({ properties: { order_total: 9.5, partner: 'Extole' } });
  });

  it('rejects extras Braze would refuse', () => {
    expect(mapExtoleEvent({ ...base, kind: 'program_event', name: 'x', properties: { time: 1 } }, defaults))
      .toMatchObject({ type: 'invalid', code: 'invalid_name' });
  });

  it('ignores fields that belong to other kinds', () => {
    const result = mapExtoleEvent({
      ...base, kind: 'program_event', name: 'extole_shared', coupon_code: 'C', subscription_group_id: 'not-a-uuid',
    }, defaults);
    expect(result.type).toBe('ops');
  });
});

describe('mapExtoleEvent for subscriptions', () => {
  it('opts the user in to email on subscribed', () => {
    expect(mapExtoleEvent({ ...base, kind: 'subscription', name: 'subscribed' }, defaults)).toEqual({
      type: 'ops',
      ops: [{
        kind: 'track.attributes', user: { external_id: 'customer-42' },
        attributes: { email: 'jane@example.com', email_subscribe: 'opted_in' },
      }],
    });
  });

  it('unsubscribes and logs extole_unsubscribed on unsubscribed, without a group', () => {
    expect(mapExtoleEvent({ ...base, kind: 'subscription', name: 'unsubscribed' }, defaults)).toEqual({
      type: 'ops',
      ops: [
        {
          kind: 'track.attributes', user: { external_id: 'customer-42' },
          attributes: { email: 'jane@example.com', email_subscribe: 'unsubscribed' },
        },
        {
          kind: 'track.event', user: { external_id: 'customer-42' }, name: 'extole_unsubscribed',
          time: '2024-05-01T10:00:00.000Z', properties: { email: 'jane@example.com', subscription_status: 'unsubscribed' },
        },
      ],
    });
  });
});

describe('mapExtoleEvent for rewards', () => {
  it.each(['FULFILLED', 'EARNED', 'SENT', 'REDEEMED', 'FAILED'] as const)('keeps the coupon code for %s', (state) => {
    const result = mapExtoleEvent({ ...base, kind: 'reward', name: state, coupon_code: 'C-1' }, allStates);
    expect(result.type === 'ops' && result.ops[1]).toMatchObject({
      name: rewardEventName(state), properties: { coupon_code: 'C-1' },
    });
  });

  it.each(['CANCELED', 'REVOKED'] as const)('drops the coupon code for %s', (state) => {
    const result = mapExtoleEvent({ ...base, kind: 'reward', name: state, coupon_code: 'C-1' }, allStates);
    expect(result.type === 'ops' && result.ops[1]).toMatchObject({ name: `extole_reward_${state.toLowerCase()}` });
    expect(result.type === 'ops' && result.ops[1]).not.toHaveProperty('properties.coupon_code');
  });

  it('skips a switched-off state even when the record has no identifier', () => {
    const result = mapExtoleEvent({ event_id: 'e', occurred_at: 0, kind: 'reward', name: 'SENT' }, defaults);
    expect(result).toEqual({ type: 'skip', reason: 'reward_state_disabled' });
  });

  it('treats reward state names as case-sensitive', () => {
    expect(mapExtoleEvent({ ...base, kind: 'reward', name: 'fulfilled' }, defaults))
      .toMatchObject({ type: 'invalid', code: 'unknown_enum_value' });
  });
});
