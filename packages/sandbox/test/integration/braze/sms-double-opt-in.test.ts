import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBrazeSandbox } from '../../../src/braze/index.js';
import { EMAIL_GROUP, SMS_GROUP, UNKNOWN_GROUP, at, startClient, type TestClient } from './helpers.js';

const OTHER_SMS_GROUP = '5b6c7d8e-9f01-4a2b-8c3d-4e5f6a7b8c9d';
const OPT_IN_EVENT = 'quikly_sms_optin';
const PHONE = '+15555550100';

const statusGet = (c: TestClient, group: string, query: Record<string, string | string[]>) =>
  c.get('/subscription/status/get', { subscription_group_id: group, ...query });
const confirm = (c: TestClient, body: Record<string, unknown>) => c.control('POST', '/subscriptions/confirm', body);
const optInEvent = (id: Record<string, unknown>, name = OPT_IN_EVENT) => ({ ...id, name, time: at });

describe('subscription groups and double opt-in events in the run-time config', () => {
  let c: TestClient;
  beforeEach(async () => {
    c = await startClient();
  });
  afterEach(() => c.sandbox.close());

  it('PUT /_sandbox/config merges subscriptionGroups into the known groups, shown by GET /_sandbox/config and in effect', async () => {
    const first = await c.control('PUT', '/config', { subscriptionGroups: { [SMS_GROUP.toUpperCase()]: 'sms' } });
    expect(first.status).toBe(200);
    expect(first.body.subscriptionGroups).toEqual({ [SMS_GROUP]: 'sms' });
    await c.control('PUT', '/config', { subscriptionGroups: { [EMAIL_GROUP]: 'email' } });
    expect((await c.control('GET', '/config')).body.subscriptionGroups).toEqual({ [SMS_GROUP]: 'sms', [EMAIL_GROUP]: 'email' });

    const set = (group: string, ids: Record<string, unknown>) =>
      c.post('/subscription/status/set', { subscription_group_id: group, subscription_state: 'subscribed', ...ids });
    // The declared SMS group now takes phones and refuses emails; an undeclared group is still an email group.
    expect((await set(SMS_GROUP, { phone: PHONE })).status).toBe(201);
    expect((await set(SMS_GROUP, { email: 'a@example.com' })).status).toBe(400);
    expect((await set(UNKNOWN_GROUP, { email: 'a@example.com' })).status).toBe(201);
    expect((await set(UNKNOWN_GROUP, { phone: PHONE })).status).toBe(400);
  });

  it('PUT /_sandbox/config answers 400 with a clear error for bad groups and bad double opt-in events, changing nothing', async () => {
    await c.control('PUT', '/config', { subscriptionGroups: { [SMS_GROUP]: 'sms', [EMAIL_GROUP]: 'email' }, doubleOptInEvents: { [OPT_IN_EVENT]: SMS_GROUP } });
    const before = (await c.control('GET', '/config')).body;
    const cases: [unknown, RegExp][] = [
      [{ subscriptionGroups: { newsletter: 'sms' } }, /"newsletter" is not a subscription group id/],
      [{ subscriptionGroups: { [OTHER_SMS_GROUP]: 'push' } }, /must be "email" or "sms", not "push"/],
      [{ subscriptionGroups: [OTHER_SMS_GROUP] }, /subscriptionGroups must be an object/],
      [{ doubleOptInEvents: { optin: UNKNOWN_GROUP } }, /is not a declared SMS subscription group/],
      [{ doubleOptInEvents: { optin: EMAIL_GROUP } }, /is not a declared SMS subscription group/],
      [{ doubleOptInEvents: { optin: 'sms-group' } }, /must be a subscription group id \(a UUID\)/],
      [{ doubleOptInEvents: { '': SMS_GROUP } }, /event name may not be empty/],
      [{ doubleOptInEvents: 'optin' }, /doubleOptInEvents must be an object/],
      // Re-declaring the event's group as an email group would leave the event pointing at no SMS group.
      [{ subscriptionGroups: { [SMS_GROUP]: 'email' } }, /quikly_sms_optin: group .* is not a declared SMS subscription group/],
    ];
    for (const [update, message] of cases) {
      const reply = await c.control('PUT', '/config', update);
      expect(reply.status, JSON.stringify(update)).toBe(400);
      expect(reply.body.error).toMatch(message);
    }
    expect((await c.control('GET', '/config')).body).toEqual(before);
  });

  it('declares a group and its double opt-in event in one update, and null removes an event', async () => {
    const reply = await c.control('PUT', '/config', {
      subscriptionGroups: { [OTHER_SMS_GROUP]: 'sms' }, doubleOptInEvents: { [OPT_IN_EVENT]: OTHER_SMS_GROUP.toUpperCase() },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.doubleOptInEvents).toEqual({ [OPT_IN_EVENT]: OTHER_SMS_GROUP });
    expect((await c.control('PUT', '/config', { doubleOptInEvents: { [OPT_IN_EVENT]: null } })).body.doubleOptInEvents).toEqual({});
  });

  it('state.configure accepts the same keys and throws on the same mistakes', () => {
    const config = c.sandbox.state.configure({ subscriptionGroups: { [SMS_GROUP]: 'sms' }, doubleOptInEvents: { [OPT_IN_EVENT]: SMS_GROUP } });
    expect(config.subscriptionGroups).toEqual({ [SMS_GROUP]: 'sms' });
    expect(config.doubleOptInEvents).toEqual({ [OPT_IN_EVENT]: SMS_GROUP });
    expect(() => c.sandbox.state.configure({ doubleOptInEvents: { other: EMAIL_GROUP } })).toThrow(/not a declared SMS subscription group/);
    expect(() => c.sandbox.state.configure({ subscriptionGroups: { [EMAIL_GROUP]: 'push' as never } })).toThrow(/"email" or "sms"/);
    expect(c.sandbox.state.config().doubleOptInEvents).toEqual({ [OPT_IN_EVENT]: SMS_GROUP });
  });

  it('refuses to start with a double opt-in event whose group is not a declared SMS group', async () => {
    await expect(startBrazeSandbox({ doubleOptInEvents: { [OPT_IN_EVENT]: SMS_GROUP } })).rejects.toThrow(/not a declared SMS subscription group/);
    await expect(startBrazeSandbox({ subscriptionGroups: { [SMS_GROUP]: 'email' }, doubleOptInEvents: { [OPT_IN_EVENT]: SMS_GROUP } }))
      .rejects.toThrow(/not a declared SMS subscription group/);
  });
});

describe('double opt-in started by a custom event', () => {
  let c: TestClient;
  beforeAll(async () => {
    c = await startClient({ subscriptionGroups: { [SMS_GROUP]: 'sms' }, doubleOptInEvents: { [OPT_IN_EVENT]: SMS_GROUP } });
  });
  afterAll(() => c.sandbox.close());
  beforeEach(() => c.sandbox.state.reset());

  const recordOf = (ref: { external_id: string } | { phone: string }, group = SMS_GROUP) =>
    c.sandbox.state.findProfile(ref)?.subscription_groups[group];
  const lastTrackWarnings = () => c.sandbox.state.requests({ path: '/users/track', limit: 1 })[0]?.warnings ?? [];

  it('records the event and leaves the phone pending (Unsubscribed) until confirmed, then Subscribed', async () => {
    const reply = await c.track({
      attributes: [{ external_id: 'q1', phone: PHONE }],
      events: [optInEvent({ external_id: 'q1' })],
    });
    expect(reply.status).toBe(201);
    const profile = c.sandbox.state.findProfile({ external_id: 'q1' });
    expect(profile?.custom_events[OPT_IN_EVENT]?.count).toBe(1);
    expect(profile?.subscription_groups[SMS_GROUP]).toMatchObject({ state: 'unsubscribed', double_opt_in_pending: true });
    expect((await statusGet(c, SMS_GROUP, { phone: PHONE })).body).toEqual({ status: { [PHONE]: 'Unsubscribed' }, message: 'success' });

    expect((await confirm(c, { subscription_group_id: SMS_GROUP, phone: PHONE })).body).toEqual({ confirmed: true });
    expect((await statusGet(c, SMS_GROUP, { phone: PHONE })).body).toEqual({ status: { [PHONE]: 'Subscribed' }, message: 'success' });
    expect(recordOf({ external_id: 'q1' })?.double_opt_in_pending).toBeUndefined();
  });

  it('works for an alias-only profile identified by the phone it already has', async () => {
    await c.track({ attributes: [{ user_alias: { alias_name: 'a@example.com', alias_label: 'email' }, _update_existing_only: false, phone: PHONE }] });
    await c.track({ events: [optInEvent({ user_alias: { alias_name: 'a@example.com', alias_label: 'email' } })] });
    expect(recordOf({ phone: PHONE })).toMatchObject({ state: 'unsubscribed', double_opt_in_pending: true });
  });

  it('starts nothing for a profile without a phone, records the event, and says so in the request log', async () => {
    await c.track({ attributes: [{ external_id: 'q2', email: 'q2@example.com' }], events: [optInEvent({ external_id: 'q2' })] });
    const profile = c.sandbox.state.findProfile({ external_id: 'q2' });
    expect(profile?.custom_events[OPT_IN_EVENT]?.count).toBe(1);
    expect(profile?.subscription_groups).toEqual({});
    expect(lastTrackWarnings()).toEqual([expect.stringMatching(/^events\[0\]: double opt-in event 'quikly_sms_optin' for a profile without a valid phone/)]);
  });

  it('starts nothing for other event names', async () => {
    await c.track({ attributes: [{ external_id: 'q3', phone: PHONE }], events: [optInEvent({ external_id: 'q3' }, 'quikly_activation')] });
    expect(recordOf({ external_id: 'q3' })).toBeUndefined();
    expect(lastTrackWarnings()).toEqual([]);
  });

  it('leaves a phone already Subscribed in the group Subscribed', async () => {
    await c.track({ attributes: [{ external_id: 'q4', phone: PHONE }] });
    await c.post('/subscription/status/set', { subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phone: PHONE });
    await c.track({ events: [optInEvent({ external_id: 'q4' })] });
    expect(recordOf({ external_id: 'q4' })?.state).toBe('subscribed');
    expect((await statusGet(c, SMS_GROUP, { phone: PHONE })).body.status).toEqual({ [PHONE]: 'Subscribed' });
    expect(lastTrackWarnings()).toEqual([expect.stringContaining('already subscribed')]);
  });

  it('follows events declared at run time through PUT /_sandbox/config', async () => {
    await c.control('PUT', '/config', { subscriptionGroups: { [OTHER_SMS_GROUP]: 'sms' }, doubleOptInEvents: { late_optin: OTHER_SMS_GROUP } });
    try {
      await c.track({ attributes: [{ external_id: 'q5', phone: PHONE }], events: [optInEvent({ external_id: 'q5' }, 'late_optin')] });
      expect(recordOf({ external_id: 'q5' }, OTHER_SMS_GROUP)).toMatchObject({ state: 'unsubscribed', double_opt_in_pending: true });
      expect(recordOf({ external_id: 'q5' }, SMS_GROUP)).toBeUndefined();
    } finally {
      c.sandbox.state.configure({ doubleOptInEvents: { late_optin: null } });
    }
  });
});

describe('POST /_sandbox/subscriptions/confirm and phone reads', () => {
  let c: TestClient;
  beforeAll(async () => {
    c = await startClient({
      subscriptionGroups: { [SMS_GROUP]: 'sms', [EMAIL_GROUP]: 'email' }, doubleOptInEvents: { [OPT_IN_EVENT]: SMS_GROUP },
    });
  });
  afterAll(() => c.sandbox.close());
  beforeEach(() => c.sandbox.state.reset());

  const setV2 = (groups: Record<string, unknown>[]) => c.post('/v2/subscription/status/set', { subscription_groups: groups });
  const phoneStatus = async (phone: string) => (await statusGet(c, SMS_GROUP, { phone })).body.status[phone] as string;

  it('confirms a REST double opt-in (use_double_opt_in_logic) by phone', async () => {
    await c.track({ attributes: [{ external_id: 'r1', phone: PHONE }] });
    await c.post('/subscription/status/set', {
      subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phone: PHONE, use_double_opt_in_logic: true,
    });
    expect(await phoneStatus(PHONE)).toBe('Unsubscribed');
    expect((await confirm(c, { subscription_group_id: SMS_GROUP, phone: PHONE })).body).toEqual({ confirmed: true });
    expect(await phoneStatus(PHONE)).toBe('Subscribed');
  });

  it('confirms a REST double opt-in for a phone on no profile yet, and a profile that later gets the phone is Subscribed', async () => {
    expect((await setV2([{ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phones: [PHONE], use_double_opt_in_logic: true }])).status).toBe(201);
    expect(await phoneStatus(PHONE)).toBe('Unsubscribed');
    expect((await confirm(c, { subscription_group_id: SMS_GROUP, phone: PHONE })).body).toEqual({ confirmed: true });
    expect(await phoneStatus(PHONE)).toBe('Subscribed');
    await c.track({ attributes: [{ external_id: 'r2', phone: PHONE }] });
    expect(c.sandbox.state.findProfile({ external_id: 'r2' })?.subscription_groups[SMS_GROUP]?.state).toBe('subscribed');
  });

  it('confirms an event-started double opt-in by external_id and by email', async () => {
    await c.track({
      attributes: [{ external_id: 'e1', phone: '+15555550111' }, { external_id: 'e2', email: 'e2@example.com', phone: '+15555550112' }],
      events: [optInEvent({ external_id: 'e1' }), optInEvent({ external_id: 'e2' })],
    });
    expect((await confirm(c, { subscription_group_id: SMS_GROUP, external_id: 'e1' })).body).toEqual({ confirmed: true });
    expect((await confirm(c, { subscription_group_id: SMS_GROUP, email: 'e2@example.com' })).body).toEqual({ confirmed: true });
    expect(await phoneStatus('+15555550111')).toBe('Subscribed');
    expect(await phoneStatus('+15555550112')).toBe('Subscribed');
  });

  it('answers confirmed: false when nothing is pending, and 400 for a group id that is not a UUID', async () => {
    await c.track({ attributes: [{ external_id: 'n1', phone: PHONE }] });
    expect((await confirm(c, { subscription_group_id: SMS_GROUP, phone: PHONE })).body).toEqual({ confirmed: false });
    expect((await confirm(c, { subscription_group_id: SMS_GROUP, phone: '+15555550999' })).body).toEqual({ confirmed: false });
    const bad = await confirm(c, { subscription_group_id: 'sms', phone: PHONE });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/UUID/);
  });

  it('GET /subscription/status/get answers each repeated phone keyed by the string sent', async () => {
    await c.track({ attributes: [{ external_id: 's1', phone: '+15555550101' }, { external_id: 's2', phone: '+15555550102' }] });
    await setV2([{ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phones: ['+15555550101'] }]);
    await setV2([{ subscription_group_id: SMS_GROUP, subscription_state: 'unsubscribed', phones: ['+15555550102'] }]);
    const reply = await statusGet(c, SMS_GROUP, { phone: ['+15555550101', '+15555550102', '+15555550103', '+1 555-555-0101'] });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      status: { '+15555550101': 'Subscribed', '+15555550102': 'Unsubscribed', '+15555550103': 'Unknown', '+1 555-555-0101': 'Subscribed' },
      message: 'success',
    });
    // An unencoded '+' (form-decoded as a space) is still the number the client wrote.
    const raw = await fetch(`${c.sandbox.url}/subscription/status/get?subscription_group_id=${SMS_GROUP}&phone=+15555550101&phone[]=+15555550103`, {
      headers: { authorization: `Bearer ${c.sandbox.apiKey}` },
    });
    expect(await raw.json()).toEqual({ status: { '+15555550101': 'Subscribed', '+15555550103': 'Unknown' }, message: 'success' });
  });

  it('GET /subscription/status/get takes up to 50 phones', async () => {
    const phones = (n: number) => Array.from({ length: n }, (_, i) => `+1555555${String(1000 + i)}`);
    const ok = await statusGet(c, SMS_GROUP, { phone: phones(50) });
    expect(ok.status).toBe(200);
    expect(Object.keys(ok.body.status)).toEqual(phones(50));
    expect((await statusGet(c, SMS_GROUP, { phone: phones(51) })).status).toBe(400);
  });

  it('POST /v2/subscription/status/set with phones for an SMS group, without and with use_double_opt_in_logic', async () => {
    await c.track({ attributes: [{ external_id: 'v1', phone: '+15555550121' }, { external_id: 'v2', phone: '+15555550122' }] });
    const plain = await setV2([{ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phones: ['+15555550121'] }]);
    expect(plain).toMatchObject({ status: 201, body: { message: 'success' } });
    const doi = await setV2([{ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phones: ['+15555550122'], use_double_opt_in_logic: true }]);
    expect(doi).toMatchObject({ status: 201, body: { message: 'success' } });
    expect(await phoneStatus('+15555550121')).toBe('Subscribed');
    expect(await phoneStatus('+15555550122')).toBe('Unsubscribed');
    expect((await confirm(c, { subscription_group_id: SMS_GROUP, phone: '+15555550122' })).body).toEqual({ confirmed: true });
    expect(await phoneStatus('+15555550122')).toBe('Subscribed');
    // phones are refused for an email group, and an invalid number is refused.
    expect((await setV2([{ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', phones: ['+15555550121'] }])).status).toBe(400);
    expect((await setV2([{ subscription_group_id: SMS_GROUP, subscription_state: 'subscribed', phones: ['12'] }])).status).toBe(400);
  });
});
