import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { at, startClient, type TestClient } from './helpers.js';

const NO_ID = "'external_id' or 'braze_id' or 'user_alias' is required";
const alias = { alias_name: 'a@example.com', alias_label: 'email' };

describe('/users/track identifiers and profile resolution (braze-api.md §2.2, §2.3)', () => {
  let c: TestClient;
  beforeAll(async () => {
    c = await startClient();
  });
  afterAll(() => c.sandbox.close());
  beforeEach(() => c.sandbox.state.reset());

  it('reports an object without any identifier as a per-object error and applies the others', async () => {
    const reply = await c.track({ attributes: [{ external_id: 'u1', tier: 'gold' }, { tier: 'silver' }] });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      message: 'success', attributes_processed: 1,
      errors: [{ type: NO_ID, input_array: 'attributes', index: 1 }],
    });
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.custom_attributes.tier).toBe('gold');
    expect(c.sandbox.state.profileCount()).toBe(1);
  });

  it('rejects an object with two primary identifiers', async () => {
    const reply = await c.track({ attributes: [{ external_id: 'u1', user_alias: alias, _update_existing_only: false, tier: 'x' }] });
    expect(reply.status).toBe(201);
    expect(reply.body.errors).toHaveLength(1);
    expect(reply.body.errors[0]).toMatchObject({ input_array: 'attributes', index: 0 });
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('looks up by email when no primary identifier is present and prefers email over phone', async () => {
    await c.track({ attributes: [{ email: 'mail@example.com', tier: 'a' }, { phone: '+15555550100', tier: 'b' }] });
    const reply = await c.track({ attributes: [{ email: 'mail@example.com', phone: '+15555550100', tier: 'c' }] });
    expect(reply.body).toEqual({ message: 'success', attributes_processed: 1 });
    expect(c.sandbox.state.findProfile({ email: 'mail@example.com' })?.custom_attributes.tier).toBe('c');
    const phoneOnly = c.sandbox.state.findProfiles({ phone: '+15555550100' }).find((p) => p.email === null);
    expect(phoneOnly?.custom_attributes.tier).toBe('b');
  });

  it('writes email and phone as plain attributes when a primary identifier is present', async () => {
    await c.track({ attributes: [{ external_id: 'u1', email: 'u1@example.com', phone: '+1 (724) 123-4567' }] });
    const profile = c.sandbox.state.findProfile({ external_id: 'u1' });
    expect(profile?.email).toBe('u1@example.com');
    expect(profile?.phone).toBe('+17241234567');
    expect(c.sandbox.state.findProfile({ email: 'u1@example.com' })?.braze_id).toBe(profile?.braze_id);
  });

  it('creates a duplicate profile for an unknown external_id whose email matches an email-only profile', async () => {
    await c.track({ attributes: [{ email: 'dup@example.com', first_name: 'Email only' }] });
    await c.track({ attributes: [{ external_id: 'u9', email: 'dup@example.com' }] });
    expect(c.sandbox.state.findProfiles({ email: 'dup@example.com' })).toHaveLength(2);
  });

  it('updates the most recently updated profile with an external_id when several share an email', async () => {
    await c.track({ attributes: [{ external_id: 'old', email: 'shared@example.com' }] });
    await c.track({ attributes: [{ external_id: 'new', email: 'shared@example.com' }] });
    await c.track({ attributes: [{ user_alias: alias, _update_existing_only: false, email: 'shared@example.com' }] });
    await c.track({ attributes: [{ email: 'shared@example.com', tier: 'gold' }] });
    expect(c.sandbox.state.findProfile({ external_id: 'new' })?.custom_attributes.tier).toBe('gold');
    expect(c.sandbox.state.findProfile({ external_id: 'old' })?.custom_attributes.tier).toBeUndefined();
    expect(c.sandbox.state.findProfile({ user_alias: alias })?.custom_attributes.tier).toBeUndefined();
  });

  it('updates the most recently updated profile when none sharing the email has an external_id', async () => {
    await c.track({ attributes: [{ user_alias: { alias_name: 'x', alias_label: 'l1' }, _update_existing_only: false, email: 's@example.com' }] });
    await c.track({ attributes: [{ user_alias: { alias_name: 'y', alias_label: 'l2' }, _update_existing_only: false, email: 's@example.com' }] });
    await c.track({ attributes: [{ email: 's@example.com', tier: 'gold' }] });
    expect(c.sandbox.state.findProfile({ user_alias: { alias_name: 'y', alias_label: 'l2' } })?.custom_attributes.tier).toBe('gold');
    expect(c.sandbox.state.findProfile({ user_alias: { alias_name: 'x', alias_label: 'l1' } })?.custom_attributes.tier).toBeUndefined();
  });

  it('creates an email-only profile without an alias when no profile has the email', async () => {
    const reply = await c.track({ attributes: [{ email: 'new@example.com', first_name: 'N' }] });
    expect(reply.body.attributes_processed).toBe(1);
    const profile = c.sandbox.state.findProfile({ email: 'new@example.com' });
    expect(profile).toMatchObject({ external_id: null, user_aliases: [], email: 'new@example.com' });
    expect(profile?.standard_attributes.first_name).toBe('N');
  });

  it('does not look up or create a profile by an invalid phone number', async () => {
    const reply = await c.track({ attributes: [{ phone: '12345', tier: 'x' }] });
    expect(reply.body.errors).toEqual([{ type: NO_ID, input_array: 'attributes', index: 0 }]);
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('rejects an external_id longer than 987 bytes with EXTERNAL_USER_ID_TOO_LARGE', async () => {
    const ok = 'é'.repeat(493) + 'x'; // 987 bytes
    const tooLong = 'é'.repeat(494); // 988 bytes
    const reply = await c.track({ attributes: [{ external_id: ok }, { external_id: tooLong }] });
    expect(reply.body.errors).toEqual([{ type: 'EXTERNAL_USER_ID_TOO_LARGE', input_array: 'attributes', index: 1 }]);
    expect(c.sandbox.state.findProfile({ external_id: ok })).toBeDefined();
  });

  it('rejects placeholder external ids with BLACKLISTED_EXTERNAL_USER_ID', async () => {
    const reply = await c.track({ events: [{ external_id: 'undefined', name: 'e', time: at }] });
    expect(reply.body.errors[0].type).toBe('BLACKLISTED_EXTERNAL_USER_ID');
  });

  it('keeps external_id and user_alias once set: an object trying to null them is rejected', async () => {
    await c.track({ attributes: [{ external_id: 'u1', user_alias: undefined }] });
    const reply = await c.track({ attributes: [{ external_id: 'u1', user_alias: null }] });
    expect(reply.body.errors).toHaveLength(1);
    const nulled = await c.track({ attributes: [{ external_id: null }] });
    expect(nulled.body.errors).toHaveLength(1);
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })).toBeDefined();
  });

  it('creates a profile for an unknown external_id by default', async () => {
    await c.track({ events: [{ external_id: 'fresh', name: 'signed_up', time: at }] });
    expect(c.sandbox.state.findProfile({ external_id: 'fresh' })?.custom_events.signed_up.count).toBe(1);
  });

  it('silently skips an unknown external_id with _update_existing_only true', async () => {
    const reply = await c.track({ attributes: [{ external_id: 'ghost', _update_existing_only: true, tier: 'x' }] });
    expect(reply.body).toEqual({ message: 'success', attributes_processed: 1 });
    expect(c.sandbox.state.profileCount()).toBe(0);
    expect(c.sandbox.state.requests({ limit: 1 })[0].warnings?.[0]).toMatch(/skipped/);
  });

  it('does not create an alias-only profile when _update_existing_only is omitted', async () => {
    const reply = await c.track({ attributes: [{ user_alias: alias, tier: 'x' }] });
    expect(reply.body).toEqual({ message: 'success', attributes_processed: 1 });
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('creates an alias-only profile when _update_existing_only is explicitly false', async () => {
    await c.track({ attributes: [{ user_alias: alias, _update_existing_only: false, email: 'a@example.com' }] });
    const profile = c.sandbox.state.findProfile({ user_alias: alias });
    expect(profile).toMatchObject({ external_id: null, user_aliases: [alias], email: 'a@example.com' });
    expect(profile?.braze_id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('updates an existing alias-only profile without the flag', async () => {
    await c.track({ attributes: [{ user_alias: alias, _update_existing_only: false }] });
    await c.track({ attributes: [{ user_alias: alias, tier: 'gold' }] });
    expect(c.sandbox.state.findProfile({ user_alias: alias })?.custom_attributes.tier).toBe('gold');
  });

  it('never creates a profile for an unknown braze_id', async () => {
    const reply = await c.track({ attributes: [{ braze_id: '0123456789abcdef01234567', _update_existing_only: false, tier: 'x' }] });
    expect(reply.status).toBe(201);
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('updates a profile found by its braze_id', async () => {
    await c.track({ attributes: [{ external_id: 'u1' }] });
    const brazeId = c.sandbox.state.findProfile({ external_id: 'u1' })!.braze_id;
    await c.track({ attributes: [{ braze_id: brazeId, tier: 'gold' }] });
    expect(c.sandbox.state.findProfile({ braze_id: brazeId })?.custom_attributes.tier).toBe('gold');
  });

  it('rejects a non-boolean _update_existing_only', async () => {
    const reply = await c.track({ attributes: [{ external_id: 'u1', _update_existing_only: 'false' }] });
    expect(reply.body.errors).toHaveLength(1);
  });
});

describe('/users/track request shape, limits and responses (braze-api.md §2.10–§2.12)', () => {
  let c: TestClient;
  let legacy: TestClient;
  beforeAll(async () => {
    c = await startClient();
    legacy = await startClient({ objectLimitMode: 'legacy' });
  });
  afterAll(async () => {
    await c.sandbox.close();
    await legacy.sandbox.close();
  });
  beforeEach(async () => {
    await c.sandbox.state.reset();
    await legacy.sandbox.state.reset();
  });

  const attrs = (n: number, prefix = 'u') => Array.from({ length: n }, (_, i) => ({ external_id: `${prefix}${i}`, n: i }));
  const events = (n: number) => Array.from({ length: n }, (_, i) => ({ external_id: `e${i}`, name: 'ev', time: at }));

  it('answers 400 with the documented text for an empty body', async () => {
    const reply = await c.post('/users/track');
    expect(reply.status).toBe(400);
    expect(reply.body.message).toBe("Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.");
  });

  it('answers 400 with the documented text when no array holds an object', async () => {
    for (const body of [{}, { attributes: [] }, { attributes: [], events: [], purchases: [] }]) {
      const reply = await c.track(body);
      expect(reply.status).toBe(400);
      expect(reply.body.message).toBe("Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.");
    }
  });

  it('accepts 75 objects combined and handles them in one request', async () => {
    const reply = await c.track({ attributes: attrs(40), events: events(35) });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ message: 'success', attributes_processed: 40, events_processed: 35 });
    expect(c.sandbox.state.profileCount()).toBe(75);
  });

  it('answers 400 Max Input Length Exceeded for 76 objects combined and applies nothing', async () => {
    const reply = await c.track({ attributes: attrs(40), events: events(36) });
    expect(reply.status).toBe(400);
    expect(reply.body.message).toBe('Max Input Length Exceeded');
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('allows 75 objects per array in legacy mode', async () => {
    const reply = await legacy.track({ attributes: attrs(75), events: events(75) });
    expect(reply.status).toBe(201);
    const over = await legacy.track({ attributes: attrs(76, 'x') });
    expect(over.status).toBe(400);
    expect(over.body.message).toBe('Max Input Length Exceeded');
  });

  it('processes attributes before events and purchases, so a profile created by attributes receives the events', async () => {
    const reply = await c.track({
      events: [{ user_alias: alias, name: 'joined', time: at }],
      attributes: [{ user_alias: alias, _update_existing_only: false }],
    });
    expect(reply.body).toEqual({ message: 'success', attributes_processed: 1, events_processed: 1 });
    expect(c.sandbox.state.findProfile({ user_alias: alias })?.custom_events.joined.count).toBe(1);
  });

  it('processes each array in order: a later object sees an earlier one', async () => {
    await c.track({ attributes: [{ external_id: 'u1', tier: 'first' }, { external_id: 'u1', tier: 'second' }] });
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.custom_attributes.tier).toBe('second');
  });

  it('includes each *_processed key only for the arrays that were sent', async () => {
    const reply = await c.track({ purchases: [{ external_id: 'u1', product_id: 'p', currency: 'USD', price: 1, time: at }] });
    expect(reply.body).toEqual({ message: 'success', purchases_processed: 1 });
  });

  it('answers a fatal 400 when an array field is not an array, with nothing applied', async () => {
    const reply = await c.track({ attributes: [{ external_id: 'u1' }], events: { name: 'x' } });
    expect(reply.status).toBe(400);
    expect(reply.body.message).not.toBe('success');
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('records every resend again because Braze has no idempotency', async () => {
    const body = { events: [{ external_id: 'u1', name: 'clicked', time: at }] };
    await c.track(body);
    await c.track(body);
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.custom_events.clicked.count).toBe(2);
  });
});
