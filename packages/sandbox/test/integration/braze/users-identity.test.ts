import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMAIL_GROUP, startClient, type TestClient } from './helpers.js';

const alias = { alias_name: 'q@example.com', alias_label: 'email' };

describe('/users/alias/new (braze-api.md §6)', () => {
  let c: TestClient;
  beforeAll(async () => {
    c = await startClient();
  });
  afterAll(() => c.sandbox.close());
  beforeEach(() => c.sandbox.state.reset());

  it('creates an alias-only user when no external_id is given', async () => {
    const reply = await c.post('/users/alias/new', { user_aliases: [alias] });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ aliases_processed: 1, message: 'success' });
    expect(c.sandbox.state.findProfile({ user_alias: alias })).toMatchObject({ external_id: null, user_aliases: [alias] });
  });

  it('adds the alias to the user with the given external_id', async () => {
    await c.track({ attributes: [{ external_id: 'u1' }] });
    await c.post('/users/alias/new', { user_aliases: [{ ...alias, external_id: 'u1' }] });
    expect(c.sandbox.state.findProfile({ user_alias: alias })?.external_id).toBe('u1');
    expect(c.sandbox.state.profileCount()).toBe(1);
  });

  it('adds nothing when no user has the external_id', async () => {
    const reply = await c.post('/users/alias/new', { user_aliases: [{ ...alias, external_id: 'ghost' }] });
    expect(reply.status).toBe(201);
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('keeps one alias_name per alias_label on a user', async () => {
    await c.track({ attributes: [{ external_id: 'u1' }] });
    await c.post('/users/alias/new', { user_aliases: [{ ...alias, external_id: 'u1' }, { alias_name: 'other@example.com', alias_label: 'email', external_id: 'u1' }] });
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.user_aliases).toEqual([alias]);
  });

  it('accepts 50 aliases and answers 400 above that', async () => {
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => ({ alias_name: `n${i}`, alias_label: 'l' }));
    expect((await c.post('/users/alias/new', { user_aliases: aliases(50) })).status).toBe(201);
    expect((await c.post('/users/alias/new', { user_aliases: aliases(51) })).status).toBe(400);
  });

  it('answers 400 when an alias lacks its name or label', async () => {
    expect((await c.post('/users/alias/new', { user_aliases: [{ alias_name: 'x' }] })).status).toBe(400);
    expect(c.sandbox.state.profileCount()).toBe(0);
  });
});

describe('/users/identify (braze-api.md §6)', () => {
  let c: TestClient;
  beforeAll(async () => {
    c = await startClient();
  });
  afterAll(() => c.sandbox.close());
  beforeEach(() => c.sandbox.state.reset());

  const identify = (body: unknown) => c.post('/users/identify', body);

  it('folds an alias-only profile into the identified one and removes it', async () => {
    await c.track({
      attributes: [
        { external_id: 'u1', first_name: 'Known', tier: 'gold' },
        { user_alias: alias, _update_existing_only: false, email: 'q@example.com', first_name: 'Anon', last_name: 'Only', city_code: 7 },
      ],
      events: [
        { external_id: 'u1', name: 'seen', time: '2024-03-01T00:00:00Z' },
        { user_alias: alias, name: 'seen', time: '2024-01-01T00:00:00Z' },
        { user_alias: alias, name: 'anon_only', time: '2024-02-01T00:00:00Z' },
      ],
    });
    const reply = await identify({ aliases_to_identify: [{ external_id: 'u1', user_alias: alias }] });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ aliases_processed: 1, message: 'success' });
    expect(c.sandbox.state.profileCount()).toBe(1);
    const merged = c.sandbox.state.findProfile({ external_id: 'u1' })!;
    expect(merged.user_aliases).toEqual([alias]);
    expect(merged.email).toBe('q@example.com');
    expect(merged.standard_attributes).toEqual({ first_name: 'Known', last_name: 'Only' });
    expect(merged.custom_attributes).toEqual({ tier: 'gold', city_code: 7 });
    expect(merged.custom_events.seen).toEqual({ count: 2, first: '2024-01-01T00:00:00.000Z', last: '2024-03-01T00:00:00.000Z' });
    expect(merged.custom_events.anon_only.count).toBe(1);
    expect(c.sandbox.state.findProfile({ user_alias: alias })?.external_id).toBe('u1');
  });

  it('adds the external_id to the alias-only profile when no profile has it', async () => {
    await c.post('/users/alias/new', { user_aliases: [alias] });
    const brazeId = c.sandbox.state.findProfile({ user_alias: alias })!.braze_id;
    await identify({ aliases_to_identify: [{ external_id: 'u2', user_alias: alias }] });
    expect(c.sandbox.state.findProfile({ external_id: 'u2' })?.braze_id).toBe(brazeId);
  });

  it('does not combine the profiles when the identified one already has an alias with the same label', async () => {
    await c.post('/users/alias/new', { user_aliases: [alias] });
    await c.track({ attributes: [{ external_id: 'u1' }] });
    await c.post('/users/alias/new', { user_aliases: [{ alias_name: 'other@example.com', alias_label: 'email', external_id: 'u1' }] });
    await identify({ aliases_to_identify: [{ external_id: 'u1', user_alias: alias }] });
    expect(c.sandbox.state.profileCount()).toBe(2);
  });

  it('answers success and changes nothing when no alias matches', async () => {
    await c.track({ attributes: [{ external_id: 'u1' }] });
    const reply = await identify({ aliases_to_identify: [{ external_id: 'u1', user_alias: alias }] });
    expect(reply.status).toBe(201);
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.user_aliases).toEqual([]);
  });

  it('identifies an email-only profile with emails_to_identify', async () => {
    await c.track({ attributes: [{ email: 'e@example.com', first_name: 'E' }] });
    await c.track({ attributes: [{ external_id: 'u3' }] });
    await identify({ emails_to_identify: [{ external_id: 'u3', email: 'e@example.com', prioritization: ['unidentified', 'most_recently_updated'] }] });
    expect(c.sandbox.state.profileCount()).toBe(1);
    expect(c.sandbox.state.findProfile({ external_id: 'u3' })).toMatchObject({ email: 'e@example.com', standard_attributes: { first_name: 'E' } });
  });

  it('merges nothing when several profiles still match after prioritization', async () => {
    await c.track({ attributes: [{ email: 'twin@example.com' }] });
    await c.track({ attributes: [{ user_alias: alias, _update_existing_only: false, email: 'twin@example.com' }] });
    await identify({ emails_to_identify: [{ external_id: 'u4', email: 'twin@example.com', prioritization: ['unidentified'] }] });
    expect(c.sandbox.state.findProfile({ external_id: 'u4' })).toBeUndefined();
    await identify({ emails_to_identify: [{ external_id: 'u4', email: 'twin@example.com', prioritization: ['unidentified', 'least_recently_updated'] }] });
    const identified = c.sandbox.state.findProfile({ external_id: 'u4' });
    expect(identified?.user_aliases).toEqual([]);
  });

  it('identifies a phone-only profile with phone_numbers_to_identify', async () => {
    await c.track({ attributes: [{ phone: '+15555550111', tier: 'sms' }] });
    await identify({ phone_numbers_to_identify: [{ external_id: 'u5', phone: '+15555550111', prioritization: ['most_recently_updated'] }] });
    expect(c.sandbox.state.findProfile({ external_id: 'u5' })?.custom_attributes.tier).toBe('sms');
  });

  it('requires prioritization with emails and phones, and only one of identified and unidentified', async () => {
    expect((await identify({ emails_to_identify: [{ external_id: 'u', email: 'e@example.com' }] })).status).toBe(400);
    expect((await identify({ emails_to_identify: [{ external_id: 'u', email: 'e@example.com', prioritization: ['identified', 'unidentified'] }] })).status).toBe(400);
    expect((await identify({ phone_numbers_to_identify: [{ external_id: 'u', phone: '+15555550111', prioritization: ['newest'] }] })).status).toBe(400);
  });

  it('requires one of the three arrays', async () => {
    expect((await identify({})).status).toBe(400);
  });

  it('accepts 50 aliases and answers 400 above that', async () => {
    const items = (n: number) => Array.from({ length: n }, (_, i) => ({ external_id: `u${i}`, user_alias: { alias_name: `n${i}`, alias_label: 'l' } }));
    expect((await identify({ aliases_to_identify: items(50) })).status).toBe(201);
    expect((await identify({ aliases_to_identify: items(51) })).status).toBe(400);
  });

  it('moves subscription states that exist only on the anonymous profile', async () => {
    await c.track({ attributes: [{ user_alias: alias, _update_existing_only: false, subscription_groups: [{ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed' }] }] });
    await c.track({ attributes: [{ external_id: 'u1' }] });
    await identify({ aliases_to_identify: [{ external_id: 'u1', user_alias: alias }] });
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.subscription_groups[EMAIL_GROUP]?.state).toBe('subscribed');
  });
});
