import { describe, expect, it } from 'vitest';
import { ProfileStore, snapshot } from '../../../src/braze/profile-store.js';
import { createRandom } from '../../../src/braze/random.js';

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);

/** The braze_id formula the store follows: seconds, then four 16-bit draws, as 24 hex digits. */
function expectedIds(seed: number, nowMs: number, n: number): string[] {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => {
    let id = Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8);
    for (let i = 0; i < 4; i++) id += Math.floor(random.next() * 0x10000).toString(16).padStart(4, '0');
    return id;
  });
}

describe('the Braze sandbox profile store', () => {
  it('makes braze_ids from the seed, as 24 hex digits starting with the creation second', () => {
    const store = new ProfileStore(createRandom(42), 100);
    const ids = Array.from({ length: 50 }, () => store.create(NOW).braze_id);
    expect(ids).toEqual(expectedIds(42, NOW, 50));
    expect(ids.every((id) => /^[0-9a-f]{24}$/.test(id))).toBe(true);
  });

  it('gives a new profile every field of the public shape, empty, and keeps what is written to them', () => {
    const store = new ProfileStore(createRandom(1), 100);
    const profile = store.create(NOW);
    expect(snapshot(profile)).toEqual({
      braze_id: profile.braze_id, external_id: null, user_aliases: [], email: null, phone: null,
      standard_attributes: {}, custom_attributes: {}, custom_attribute_types: {}, custom_events: {}, events: [],
      purchases: {}, purchase_history: [], total_revenue: 0, subscription_groups: {}, data_points: 0,
      created_at: '2024-05-01T10:00:00.000Z', updated_at: '2024-05-01T10:00:00.000Z',
    });
    profile.custom_attributes.tier = 'gold';
    profile.standard_attributes.first_name = 'Ada';
    profile.total_revenue += 12.5;
    profile.events.push({ name: 'e', time: '2024-05-01T10:00:00.000Z', properties: {} });
    store.setEmail(profile, 'ada@example.com', NOW);
    expect(snapshot(profile)).toMatchObject({
      custom_attributes: { tier: 'gold' }, standard_attributes: { first_name: 'Ada' }, total_revenue: 12.5,
      email: 'ada@example.com', events: [{ name: 'e' }],
    });
    expect(store.find({ email: 'ADA@example.com' })).toBe(profile);
  });

  it('lists profiles in creation order, also after some were removed, and counts them', () => {
    const store = new ProfileStore(createRandom(1), 100);
    const profiles = Array.from({ length: 3000 }, (_, i) => {
      const p = store.create(NOW);
      store.setExternalId(p, `u${i}`);
      return p;
    });
    for (let i = 0; i < 3000; i += 2) store.remove(profiles[i]);
    expect(store.size).toBe(1500);
    expect([...store.all()].map((p) => p.external_id)).toEqual(profiles.filter((_, i) => i % 2 === 1).map((p) => p.external_id));
    expect(store.byBraze(profiles[0].braze_id)).toBeUndefined();
    expect(store.byBraze(profiles[1].braze_id)).toBe(profiles[1]);
    const late = store.create(NOW);
    expect([...store.all()].at(-1)).toBe(late);
    store.remove(profiles[1]);
    expect(store.size).toBe(1500);
  });

  it('serializes and loads every field', () => {
    const store = new ProfileStore(createRandom(1), 100);
    const profile = store.create(NOW);
    store.setExternalId(profile, 'u1');
    store.addAlias(profile, { alias_name: 'a', alias_label: 'l' });
    store.setPhone(profile, '+1 (724) 123-4567', NOW);
    profile.custom_attributes.n = 1;
    profile.custom_attribute_types.n = 'number';
    profile.subscription_groups.g = { state: 'subscribed', updated_at: '2024-05-01T10:00:00.000Z' };
    const data = JSON.parse(JSON.stringify(store.serialize()));
    const copy = new ProfileStore(createRandom(1), 100);
    copy.load(data);
    expect(snapshot(copy.byExternal('u1')!)).toEqual(snapshot(profile));
    expect(copy.find({ phone: '+17241234567' })?.external_id).toBe('u1');
    expect(copy.byUserAlias({ alias_name: 'a', alias_label: 'l' })?.external_id).toBe('u1');
    expect(copy.byBraze(profile.braze_id)?.external_id).toBe('u1');
  });

  it('with lazy braze_ids (lean mode), makes each id from the seed when first read, and indexes it then', () => {
    const store = new ProfileStore(createRandom(42), 100, true);
    const [a, b, c] = [store.create(NOW), store.create(NOW), store.create(NOW + 5000)];
    expect([a, b, c].map((p) => p.assignedBrazeId)).toEqual(['', '', '']);
    const [first, second] = expectedIds(42, NOW + 5000, 2);
    expect(c.braze_id).toBe(first);
    expect(c.braze_id).toBe(first);
    expect(store.byBraze(first)).toBe(c);
    expect(b.braze_id.slice(8)).toBe(second.slice(8));
    expect(b.braze_id.slice(0, 8)).toBe(Math.floor(NOW / 1000).toString(16));
    store.remove(a);
    expect(store.size).toBe(2);
    expect(store.serialize().profiles.map((p) => p.braze_id)).toEqual([b.braze_id, c.braze_id]);
  });
});
