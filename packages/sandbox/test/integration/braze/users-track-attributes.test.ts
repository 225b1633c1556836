import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMAIL_GROUP, SMS_GROUP, UNKNOWN_GROUP, startClient, type TestClient } from './helpers.js';

describe('/users/track attributes (braze-api.md §2.4–§2.6, §2.9)', () => {
  let c: TestClient;
  beforeAll(async () => {
    c = await startClient({ subscriptionGroups: { [EMAIL_GROUP]: 'email', [SMS_GROUP]: 'sms' }, arrayLimits: { long_list: 30 } });
  });
  afterAll(() => c.sandbox.close());
  beforeEach(() => c.sandbox.state.reset());

  /** Sends one attributes object for u1 and returns the reply and the profile after it. */
  const set = async (attributes: Record<string, unknown>, id = 'u1') => {
    const reply = await c.track({ attributes: [{ external_id: id, ...attributes }] });
    return { reply, profile: c.sandbox.state.findProfile({ external_id: id }), errors: reply.body.errors as { type: string }[] | undefined };
  };
  const errorType = async (attributes: Record<string, unknown>) => (await set(attributes)).errors?.[0]?.type;

  describe('standard fields (§2.4)', () => {
    it('stores first_name, last_name and home_city as standard fields', async () => {
      const { profile } = await set({ first_name: 'Ada', last_name: 'Lovelace', home_city: 'London' });
      expect(profile?.standard_attributes).toEqual({ first_name: 'Ada', last_name: 'Lovelace', home_city: 'London' });
      expect(profile?.custom_attributes).toEqual({});
    });

    it('treats standard field names case-sensitively: First_Name is a custom attribute', async () => {
      const { profile } = await set({ First_Name: 'Ada' });
      expect(profile?.custom_attributes.First_Name).toBe('Ada');
      expect(profile?.standard_attributes.first_name).toBeUndefined();
    });

    it('accepts opted_in, subscribed and unsubscribed for email_subscribe and push_subscribe', async () => {
      for (const state of ['opted_in', 'subscribed', 'unsubscribed']) {
        const { profile, errors } = await set({ email_subscribe: state, push_subscribe: state });
        expect(errors).toBeUndefined();
        expect(profile?.standard_attributes.email_subscribe).toBe(state);
      }
    });

    it('rejects other email_subscribe and push_subscribe values with their codes', async () => {
      expect(await errorType({ email_subscribe: 'yes' })).toBe('BAD_EMAIL_SUBSCRIPTION_STATE');
      expect(await errorType({ push_subscribe: 'Subscribed' })).toBe('BAD_PUSH_SUBSCRIPTION_STATE');
      expect(c.sandbox.state.profileCount()).toBe(0);
    });

    it('sets subscription group states from a subscription_groups array', async () => {
      const { profile, errors } = await set({
        subscription_groups: [
          { subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed' },
          { subscription_group_id: SMS_GROUP, subscription_state: 'unsubscribed' },
        ],
      });
      expect(errors).toBeUndefined();
      expect(profile?.subscription_groups[EMAIL_GROUP].state).toBe('subscribed');
      expect(profile?.subscription_groups[SMS_GROUP].state).toBe('unsubscribed');
    });

    it('reports BAD_SUBSCRIPTION_GROUP_ARRAY, _HASH, _ID and _STATE for malformed subscription_groups', async () => {
      expect(await errorType({ subscription_groups: { subscription_group_id: EMAIL_GROUP } })).toBe('BAD_SUBSCRIPTION_GROUP_ARRAY');
      expect(await errorType({ subscription_groups: [{ subscription_group_id: EMAIL_GROUP }] })).toBe('BAD_SUBSCRIPTION_GROUP_HASH');
      expect(await errorType({ subscription_groups: [{ subscription_group_id: 'group-1', subscription_state: 'subscribed' }] }))
        .toBe('BAD_SUBSCRIPTION_GROUP_ID');
      expect(await errorType({ subscription_groups: [{ subscription_group_id: EMAIL_GROUP, subscription_state: 'opted_in' }] }))
        .toBe('BAD_SUBSCRIPTION_GROUP_STATE');
    });

    it('also updates the subscription state of other profiles sharing the email', async () => {
      await c.track({ attributes: [{ email: 'shared@example.com' }] });
      await set({ email: 'shared@example.com', subscription_groups: [{ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed' }] });
      const states = c.sandbox.state.findProfiles({ email: 'shared@example.com' }).map((p) => p.subscription_groups[EMAIL_GROUP]?.state);
      expect(states).toEqual(['subscribed', 'subscribed']);
    });

    it('accepts dob only as YYYY-MM-DD', async () => {
      expect((await set({ dob: '1990-02-28' })).profile?.standard_attributes.dob).toBe('1990-02-28');
      expect(await errorType({ dob: '28/02/1990' })).toBeDefined();
      expect(await errorType({ dob: '1990-02-30' })).toBeDefined();
    });

    it('keeps an ISO-3166 country code, maps a country name and sets anything else to null', async () => {
      expect((await set({ country: 'de' })).profile?.standard_attributes.country).toBe('DE');
      expect((await set({ country: 'Australia' })).profile?.standard_attributes.country).toBe('AU');
      const { profile, reply } = await set({ country: 'Atlantis' });
      expect(reply.body.errors).toBeUndefined();
      expect(profile?.standard_attributes.country).toBeUndefined();
    });

    it('accepts ISO-639-1 language codes and ignores anything else', async () => {
      expect((await set({ language: 'fr' })).profile?.standard_attributes.language).toBe('fr');
      expect((await set({ language: 'French' })).profile?.standard_attributes.language).toBe('fr');
    });

    it('accepts gender M, F, O, N, P or null and rejects other values', async () => {
      for (const g of ['M', 'F', 'O', 'N', 'P']) expect((await set({ gender: g })).profile?.standard_attributes.gender).toBe(g);
      expect((await set({ gender: null })).profile?.standard_attributes.gender).toBeUndefined();
      expect(await errorType({ gender: 'male' })).toBeDefined();
    });

    it('ignores an invalid time_zone without an error', async () => {
      expect((await set({ time_zone: 'Europe/Paris' })).profile?.standard_attributes.time_zone).toBe('Europe/Paris');
      const { profile, errors } = await set({ time_zone: 'Mars/Olympus' });
      expect(errors).toBeUndefined();
      expect(profile?.standard_attributes.time_zone).toBe('Europe/Paris');
    });

    it('reports BAD_LOCATION_UPDATE unless current_location has numeric longitude and latitude', async () => {
      expect((await set({ current_location: { longitude: 2.35, latitude: 48.85 } })).profile?.standard_attributes.current_location)
        .toEqual({ longitude: 2.35, latitude: 48.85 });
      expect(await errorType({ current_location: { lon: 2, lat: 3 } })).toBe('BAD_LOCATION_UPDATE');
      expect(await errorType({ current_location: '48.85,2.35' })).toBe('BAD_LOCATION_UPDATE');
    });

    it('stores the session and spam dates and the tracking booleans', async () => {
      const { profile } = await set({
        date_of_first_session: '2024-01-02T03:04:05Z', marked_email_as_spam_at: '2024-02-03', email_open_tracking_disabled: true,
      });
      expect(profile?.standard_attributes).toMatchObject({
        date_of_first_session: '2024-01-02T03:04:05.000Z', marked_email_as_spam_at: '2024-02-03T00:00:00.000Z', email_open_tracking_disabled: true,
      });
      expect(await errorType({ email_click_tracking_disabled: 'no' })).toBeDefined();
    });

    it('validates push tokens and their device_id length of 8 to 255 bytes', async () => {
      expect((await set({ push_tokens: [{ app_id: 'app', token: 'tok', device_id: '12345678' }] })).errors).toBeUndefined();
      expect(await errorType({ push_tokens: { app_id: 'app' } })).toBe('BAD_PUSH_TOKEN_VALUE');
      expect(await errorType({ push_tokens: [{ app_id: 'app', token: 5 }] })).toBe('BAD_PUSH_TOKEN_STRING');
      expect(await errorType({ push_tokens: [{ token: 't' }] })).toBe('BAD_PUSH_TOKEN_APP_ID');
      expect(await errorType({ push_tokens: [{ app_id: 'app', token: 't', device_id: 'short' }] })).toBe('BAD_DEVICE_ID');
    });

    it('stores the legacy facebook and twitter hashes', async () => {
      const { profile } = await set({ facebook: { id: 'fb1', likes: ['x'] }, twitter: { id: 2 } });
      expect(profile?.standard_attributes).toMatchObject({ facebook: { id: 'fb1', likes: ['x'] }, twitter: { id: 2 } });
      expect(await errorType({ twitter: 'handle' })).toBeDefined();
    });

    it('no longer processes bio', async () => {
      const { profile, errors } = await set({ bio: 'hello' });
      expect(errors).toBeUndefined();
      expect(profile?.standard_attributes.bio).toBeUndefined();
      expect(profile?.custom_attributes.bio).toBeUndefined();
    });
  });

  describe('email and phone values (§2.9)', () => {
    it('reports EMAIL_BAD_FORMAT for an invalid email attribute and applies nothing of that object', async () => {
      const reply = await c.track({ attributes: [{ external_id: 'u1', email: 'not-an-email', tier: 'x' }, { external_id: 'u2', email: 'ok@example.com' }] });
      expect(reply.body.errors).toEqual([{ type: 'EMAIL_BAD_FORMAT', input_array: 'attributes', index: 0 }]);
      expect(c.sandbox.state.findProfile({ external_id: 'u1' })).toBeUndefined();
      expect(c.sandbox.state.findProfile({ external_id: 'u2' })?.email).toBe('ok@example.com');
    });

    it('rejects emails with whitespace, IP literals, numeric TLDs, special-character edges and one-letter Gmail names', async () => {
      for (const email of [' a@example.com', 'a b@example.com', 'user@[10.0.0.1]', 'user@host.123', '.user@example.com',
        'user-@example.com', 'a@gmail.com', 'user@localhost', 'ü@exämple.com']) {
        expect(await errorType({ email }), email).toBe('EMAIL_BAD_FORMAT');
      }
    });

    it('accepts Punycode domains and ordinary addresses', async () => {
      for (const email of ['first.last+tag@example.co.uk', 'user@xn--bcher-kva.ch', 'ab@gmail.com']) {
        expect((await set({ email })).errors, email).toBeUndefined();
      }
    });

    it('applies the stricter local-part pattern to Microsoft consumer domains', async () => {
      expect(await errorType({ email: 'a+b@outlook.com' })).toBe('EMAIL_BAD_FORMAT');
      expect((await set({ email: 'a.b_c@hotmail.com' })).errors).toBeUndefined();
    });

    it('normalises phone numbers to E.164 and reads 10 digits without + as a US number', async () => {
      expect((await set({ phone: '+1 (724) 123-4567' })).profile?.phone).toBe('+17241234567');
      expect((await set({ phone: '7241234567' }, 'u2')).profile?.phone).toBe('+17241234567');
      expect(c.sandbox.state.findProfiles({ phone: '+17241234567' })).toHaveLength(2);
    });

    it('keeps a non-normalisable phone attribute as sent without making it a lookup key', async () => {
      const { profile, errors } = await set({ phone: '0044 20 7946 0000' });
      expect(errors).toBeUndefined();
      expect(profile?.phone).toBe('0044 20 7946 0000');
      expect(c.sandbox.state.findProfiles({ phone: '0044 20 7946 0000' })).toHaveLength(0);
    });
  });

  describe('custom attribute values (§2.5)', () => {
    it('stores strings, numbers and booleans with their types', async () => {
      const { profile } = await set({ tier: 'gold', score: 12.5, visits: 3, vip: true });
      expect(profile?.custom_attributes).toEqual({ tier: 'gold', score: 12.5, visits: 3, vip: true });
      expect(profile?.custom_attribute_types).toEqual({ tier: 'string', score: 'number', visits: 'number', vip: 'boolean' });
    });

    it('rejects a string longer than 255 characters and a key longer than 255 characters', async () => {
      expect((await set({ tier: 'x'.repeat(255) })).errors).toBeUndefined();
      expect(await errorType({ tier: 'x'.repeat(256) })).toBeDefined();
      expect(await errorType({ ['k'.repeat(256)]: 'v' })).toBeDefined();
    });

    it('turns a date-looking string into a time attribute, midnight UTC when no zone is given', async () => {
      const { profile } = await set({ joined: '2024-05-01T10:00:00+02:00', seen: '12/1/2021', day: '2024-05-01', plain: '2024-05-01 08:30:00' });
      expect(profile?.custom_attributes).toMatchObject({
        joined: '2024-05-01T08:00:00.000Z', seen: '2021-12-01T00:00:00.000Z', day: '2024-05-01T00:00:00.000Z', plain: '2024-05-01T08:30:00.000Z',
      });
      expect(profile?.custom_attribute_types.seen).toBe('time');
    });

    it('accepts the colon-millisecond and Java date formats as times', async () => {
      const { profile } = await set({ a: '2024-05-01T10:00:00:123Z', b: 'Wed May 01 10:00:00.UTC 2024' });
      expect(profile?.custom_attributes).toMatchObject({ a: '2024-05-01T10:00:00.123Z', b: '2024-05-01T10:00:00.000Z' });
    });

    it('stores a date with a year after 3000 as a string', async () => {
      const { profile } = await set({ far: '3001-01-01' });
      expect(profile?.custom_attributes.far).toBe('3001-01-01');
      expect(profile?.custom_attribute_types.far).toBe('string');
    });

    it('increments integer attributes with inc, negative values decrementing', async () => {
      await set({ visits: { inc: 5 } });
      const { profile } = await set({ visits: { inc: -2 } });
      expect(profile?.custom_attributes.visits).toBe(3);
    });

    it('rejects a non-integer inc and ignores inc on a non-integer attribute', async () => {
      expect(await errorType({ visits: { inc: 1.5 } })).toBeDefined();
      await set({ ratio: 0.5 });
      const { profile, errors } = await set({ ratio: { inc: 1 } });
      expect(errors).toBeUndefined();
      expect(profile?.custom_attributes.ratio).toBe(0.5);
    });

    it('replaces an array and collapses duplicates', async () => {
      await set({ tags: ['x'] });
      const { profile } = await set({ tags: ['a', 'b', 'a'] });
      expect(profile?.custom_attributes.tags).toEqual(['a', 'b']);
      expect(profile?.custom_attribute_types.tags).toBe('array');
    });

    it('adds and removes array values with plain add and remove, an existing value moving to the end', async () => {
      await set({ tags: ['a', 'b', 'c'] });
      const { profile } = await set({ tags: { add: ['a', 'd'], remove: ['b'] } });
      expect(profile?.custom_attributes.tags).toEqual(['c', 'a', 'd']);
    });

    it('drops the oldest element when an add pushes an array past 25', async () => {
      await set({ tags: Array.from({ length: 25 }, (_, i) => `t${i}`) });
      const { profile } = await set({ tags: { add: ['new'] } });
      const tags = profile?.custom_attributes.tags as string[];
      expect(tags).toHaveLength(25);
      expect(tags[0]).toBe('t1');
      expect(tags[24]).toBe('new');
    });

    it('honours a raised per-attribute array cap', async () => {
      const { profile } = await set({ long_list: Array.from({ length: 30 }, (_, i) => i) });
      expect(profile?.custom_attributes.long_list).toHaveLength(30);
    });

    it('rejects nested arrays and mixed arrays', async () => {
      expect(await errorType({ tags: [['a']] })).toBeDefined();
      expect(await errorType({ tags: ['a', { b: 1 }] })).toBeDefined();
    });

    it('removes an attribute set to null', async () => {
      await set({ tier: 'gold' });
      const { profile } = await set({ tier: null });
      expect(profile?.custom_attributes).not.toHaveProperty('tier');
    });
  });

  describe('nested objects and arrays of objects (§2.6)', () => {
    it('replaces an object attribute unless _merge_objects is true', async () => {
      await set({ fav: { title: 'Snow White', year: 1937 } });
      expect((await set({ fav: { title: 'Bambi' } })).profile?.custom_attributes.fav).toEqual({ title: 'Bambi' });
      const { profile } = await set({ _merge_objects: true, fav: { year: 1942, studio: { name: 'Disney' } } });
      expect(profile?.custom_attributes.fav).toEqual({ title: 'Bambi', year: 1942, studio: { name: 'Disney' } });
      expect(profile?.custom_attribute_types.fav).toBe('object');
    });

    it('stores nested dates given as $time and leaves out years outside 0..3000', async () => {
      const { profile } = await set({ fav: { released: { $time: '1937-12-21' }, remake: { $time: '3100-01-01' } } });
      expect(profile?.custom_attributes.fav).toEqual({ released: { $time: '1937-12-21T00:00:00.000Z' } });
    });

    it('drops every nested update of the request when one nested value is invalid', async () => {
      const reply = await c.track({
        attributes: [
          { external_id: 'u1', fav: { title: 'ok' }, tier: 'gold' },
          { external_id: 'u2', fav: { released: { $time: null } } },
        ],
      });
      expect(reply.body).toEqual({ message: 'success', attributes_processed: 2 });
      const u1 = c.sandbox.state.findProfile({ external_id: 'u1' });
      expect(u1?.custom_attributes).toEqual({ tier: 'gold' });
      expect(c.sandbox.state.requests({ limit: 1 })[0].warnings).toEqual(
        expect.arrayContaining([expect.stringMatching(/nested attribute update.*dropped/)]),
      );
    });

    it('treats nested keys with spaces and nested nulls as invalid', async () => {
      await set({ fav: { 'a key': 1 }, plain: 1 });
      await set({ other: { a: null } });
      const profile = c.sandbox.state.findProfile({ external_id: 'u1' });
      expect(profile?.custom_attributes).toEqual({ plain: 1 });
    });

    it('rejects a nested object above 50 KB', async () => {
      await set({ big: { blob: Array.from({ length: 300 }, () => 'x'.repeat(200)) } });
      expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.custom_attributes.big).toBeUndefined();
    });

    it('deletes an object set to null', async () => {
      await set({ fav: { title: 'x' } });
      expect((await set({ fav: null })).profile?.custom_attributes).not.toHaveProperty('fav');
    });

    it('stores arrays of objects and changes them with $add, $remove and $update', async () => {
      await set({ pets: [{ id: 1, name: 'Rex' }, { id: 2, name: 'Tom' }] });
      await set({ pets: { $add: [{ id: 3, name: 'Kit' }] } });
      await set({ pets: { $remove: [{ $identifier_key: 'id', $identifier_value: 2 }] } });
      const { profile } = await set({ _merge_objects: true, pets: { $update: [{ $identifier_key: 'id', $identifier_value: 1, $new_object: { age: 4 } }] } });
      expect(profile?.custom_attributes.pets).toEqual([{ id: 1, name: 'Rex', age: 4 }, { id: 3, name: 'Kit' }]);
      expect(profile?.custom_attribute_types.pets).toBe('array_of_objects');
    });

    it('removes every element matching a $remove identifier', async () => {
      await set({ pets: [{ kind: 'cat', name: 'Tom' }, { kind: 'dog', name: 'Rex' }, { kind: 'cat', name: 'Kit' }] });
      const { profile } = await set({ pets: { $remove: [{ $identifier_key: 'kind', $identifier_value: 'cat' }] } });
      expect(profile?.custom_attributes.pets).toEqual([{ kind: 'dog', name: 'Rex' }]);
    });

    it('rejects an array of objects above 100 KB', async () => {
      await set({ rows: Array.from({ length: 450 }, (_, i) => ({ i, text: 'x'.repeat(240) })), tier: 'kept' });
      const profile = c.sandbox.state.findProfile({ external_id: 'u1' });
      expect(profile?.custom_attributes).toEqual({ tier: 'kept' });
    });

    it('ignores $update without _merge_objects', async () => {
      await set({ pets: [{ id: 1, name: 'Rex' }] });
      const { profile } = await set({ pets: { $update: [{ $identifier_key: 'id', $identifier_value: 1, $new_object: { age: 4 } }] } });
      expect(profile?.custom_attributes.pets).toEqual([{ id: 1, name: 'Rex' }]);
    });
  });

  describe('subscription groups the sandbox was not told about', () => {
    it('accepts an unknown valid UUID as an email group', async () => {
      const { profile } = await set({ subscription_groups: [{ subscription_group_id: UNKNOWN_GROUP, subscription_state: 'subscribed' }] });
      expect(profile?.subscription_groups[UNKNOWN_GROUP].state).toBe('subscribed');
    });
  });
});
