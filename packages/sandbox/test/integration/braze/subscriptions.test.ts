import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMAIL_GROUP, SMS_GROUP, UNKNOWN_GROUP, startClient, type TestClient } from './helpers.js';

const EITHER = 'Either an email address or a phone number should be provided, but not both.';

describe('subscription endpoints (braze-api.md §7)', () => {
  let c: TestClient;
  beforeAll(async () => {
    c = await startClient({ subscriptionGroups: { [EMAIL_GROUP]: 'email', [SMS_GROUP]: 'sms' } });
  });
  afterAll(() => c.sandbox.close());
  beforeEach(async () => {
    await c.sandbox.state.reset();
    await c.track({
      attributes: [
        { external_id: 'u1', email: 'u1@example.com', phone: '+15555550101' },
        { external_id: 'u2', email: 'u2@example.com' },
      ],
    });
  });

  const setV1 = (body: Record<string, unknown>) => c.post('/subscription/status/set', body);
  const setV2 = (groups: Record<string, unknown>[]) => c.post('/v2/subscription/status/set', { subscription_groups: groups });
  const status = (query: Record<string, string | string[]>, group = EMAIL_GROUP) =>
    c.get('/subscription/status/get', { subscription_group_id: group, ...query });
  const stateOf = (id: string, group = EMAIL_GROUP) => c.sandbox.state.findProfile({ external_id: id })?.subscription_groups[group]?.state;

  describe('POST /subscription/status/set (v1)', () => {
    it('subscribes users by external_id and answers 201 success', async () => {
      const reply = await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_id: ['u1', 'u2'] });
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({ message: 'success' });
      expect([stateOf('u1'), stateOf('u2')]).toEqual(['subscribed', 'subscribed']);
    });

    it('accepts only subscribed and unsubscribed', async () => {
      expect((await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'opted_in', external_id: 'u1' })).status).toBe(400);
      expect((await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'unsubscribed', external_id: 'u1' })).status).toBe(201);
      expect(stateOf('u1')).toBe('unsubscribed');
    });

    it('rejects email and phone together with the documented message', async () => {
      const reply = await setV1({ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', email: 'u1@example.com', phone: '+15555550101' });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ message: EITHER });
    });

    it('takes external ids or phones for an SMS group and external ids or emails for an email group', async () => {
      expect((await setV1({ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', email: 'u1@example.com' })).status).toBe(400);
      expect((await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', phone: '+15555550101' })).status).toBe(400);
      expect((await setV1({ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phone: ['+15555550101'] })).status).toBe(201);
      expect(stateOf('u1', SMS_GROUP)).toBe('subscribed');
    });

    it('updates every profile sharing an email', async () => {
      await c.track({ attributes: [{ user_alias: { alias_name: 'x', alias_label: 'l' }, _update_existing_only: false, email: 'u1@example.com' }] });
      await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', email: 'u1@example.com' });
      const states = c.sandbox.state.findProfiles({ email: 'u1@example.com' }).map((p) => p.subscription_groups[EMAIL_GROUP]?.state);
      expect(states).toEqual(['subscribed', 'subscribed']);
    });

    it('keeps the state for an email on no profile and applies it when a profile gets that email', async () => {
      await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', email: 'later@example.com' });
      expect((await status({ email: 'later@example.com' })).body.status).toEqual({ 'later@example.com': 'Subscribed' });
      await c.track({ attributes: [{ external_id: 'u3', email: 'later@example.com' }] });
      expect(stateOf('u3')).toBe('subscribed');
    });

    it('keeps a double opt-in user Unsubscribed until they confirm', async () => {
      await setV1({ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', external_id: 'u1', use_double_opt_in_logic: true });
      expect((await status({ external_id: 'u1' }, SMS_GROUP)).body.status).toEqual({ u1: 'Unsubscribed' });
      expect((await c.control('POST', '/subscriptions/confirm', { subscription_group_id: SMS_GROUP, external_id: 'u1' })).body).toEqual({ confirmed: true });
      expect((await status({ external_id: 'u1' }, SMS_GROUP)).body.status).toEqual({ u1: 'Subscribed' });
    });

    it('accepts 50 external ids and answers 400 above that', async () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `x${i}`);
      expect((await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_id: ids(50) })).status).toBe(201);
      expect((await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_id: ids(51) })).status).toBe(400);
    });

    it('rejects a subscription_group_id that is not a UUID', async () => {
      expect((await setV1({ subscription_group_id: 'newsletter', subscription_state: 'subscribed', external_id: 'u1' })).status).toBe(400);
    });

    it('does not charge data points for subscription changes', async () => {
      const before = c.sandbox.state.counters().dataPoints.total;
      await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_id: 'u1' });
      expect(c.sandbox.state.counters().dataPoints.total).toBe(before);
    });
  });

  describe('POST /v2/subscription/status/set', () => {
    it('updates email and SMS groups together by external_ids', async () => {
      const reply = await setV2([
        { subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_ids: ['u1'] },
        { subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', external_ids: ['u1'] },
      ]);
      expect(reply.status).toBe(201);
      expect(reply.body).toEqual({ message: 'success' });
      expect([stateOf('u1'), stateOf('u1', SMS_GROUP)]).toEqual(['subscribed', 'subscribed']);
    });

    it('rejects mixing emails and phones in one group and applies none of the groups', async () => {
      const reply = await setV2([
        { subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_ids: ['u2'] },
        { subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', emails: ['u1@example.com'], phones: ['+15555550101'] },
      ]);
      expect(reply.status).toBe(400);
      expect(stateOf('u2')).toBeUndefined();
    });

    it('caps each list at 50 ids', async () => {
      const ids = Array.from({ length: 51 }, (_, i) => `x${i}`);
      expect((await setV2([{ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_ids: ids }])).status).toBe(400);
    });
  });

  describe('GET /subscription/status/get', () => {
    it('answers Subscribed, Unsubscribed or Unknown per external_id, with external_id[] repeated', async () => {
      await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_id: 'u1' });
      await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'unsubscribed', external_id: 'u2' });
      const reply = await status({ 'external_id[]': ['u1', 'u2', 'nobody'] });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ status: { u1: 'Subscribed', u2: 'Unsubscribed', nobody: 'Unknown' }, message: 'success' });
    });

    it('still answers each group\'s last state after a global email unsubscribe', async () => {
      await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_id: 'u1' });
      await c.track({ attributes: [{ external_id: 'u1', email_subscribe: 'unsubscribed' }] });
      expect((await status({ external_id: 'u1' })).body.status).toEqual({ u1: 'Subscribed' });
    });

    it('answers by email and by phone', async () => {
      await setV1({ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phone: '+15555550101' });
      expect((await status({ phone: '+15555550101' }, SMS_GROUP)).body.status).toEqual({ '+15555550101': 'Subscribed' });
      expect((await status({ email: 'u2@example.com' })).body.status).toEqual({ 'u2@example.com': 'Unknown' });
    });

    it('rejects email and phone together without external_id, and queries only the ids when external_id is given', async () => {
      expect((await status({ email: 'u1@example.com', phone: '+15555550101' })).status).toBe(400);
      const reply = await status({ external_id: 'u1', email: 'u1@example.com', phone: '+15555550101' });
      expect(reply.body.status).toEqual({ u1: 'Unknown' });
    });

    it('requires subscription_group_id and an identifier', async () => {
      expect((await c.get('/subscription/status/get', { external_id: 'u1' })).status).toBe(400);
      expect((await status({})).status).toBe(400);
    });

    it('treats an unknown group as an email group unless strictGroups is configured', async () => {
      expect((await status({ external_id: 'u1' }, UNKNOWN_GROUP)).status).toBe(200);
      c.sandbox.state.configure({ strictGroups: true });
      try {
        expect((await status({ external_id: 'u1' }, UNKNOWN_GROUP)).status).toBe(400);
      } finally {
        c.sandbox.state.configure({ strictGroups: false });
      }
    });
  });

  describe('GET /subscription/user/status', () => {
    it('lists only the groups with history for the user', async () => {
      await setV1({ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_id: 'u1' });
      const reply = await c.get('/subscription/user/status', { external_id: 'u1' });
      expect(reply.status).toBe(200);
      expect(reply.body.subscription_groups).toEqual([{ subscription_group_id: EMAIL_GROUP, subscription_status: 'Subscribed' }]);
      expect((await c.get('/subscription/user/status', { external_id: 'u2' })).body.subscription_groups).toEqual([]);
    });

    it('pages with limit (at most 100) and offset', async () => {
      await setV2([
        { subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_ids: ['u1'] },
        { subscription_group_id: SMS_GROUP, subscription_state: 'unsubscribed', external_ids: ['u1'] },
      ]);
      const page = await c.get('/subscription/user/status', { external_id: 'u1', limit: '1', offset: '1' });
      expect(page.body.subscription_groups).toHaveLength(1);
      expect(page.body.total_count).toBe(2);
      expect((await c.get('/subscription/user/status', { external_id: 'u1', limit: '101' })).status).toBe(400);
    });
  });
});
