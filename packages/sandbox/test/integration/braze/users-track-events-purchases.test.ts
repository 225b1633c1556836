import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMAIL_GROUP, at, startClient, type TestClient } from './helpers.js';

describe('/users/track events, purchases and data points (braze-api.md §2.7, §2.8, §8)', () => {
  let c: TestClient;
  let nowMs = Date.parse('2024-06-01T00:00:00Z');
  beforeAll(async () => {
    c = await startClient({ now: () => nowMs });
  });
  afterAll(() => c.sandbox.close());
  beforeEach(async () => {
    nowMs = Date.parse('2024-06-01T00:00:00Z');
    await c.sandbox.state.reset();
  });

  const event = (extra: Record<string, unknown>) => ({ external_id: 'u1', name: 'shared', time: at, ...extra });
  const purchase = (extra: Record<string, unknown>) => ({ external_id: 'u1', product_id: 'sku-1', currency: 'USD', price: 9.99, time: at, ...extra });
  const eventError = async (extra: Record<string, unknown>) => (await c.track({ events: [event(extra)] })).body.errors?.[0]?.type;
  const purchaseError = async (extra: Record<string, unknown>) => (await c.track({ purchases: [purchase(extra)] })).body.errors?.[0]?.type;

  describe('events (§2.7)', () => {
    it('records an event with its summary and history on the profile', async () => {
      const reply = await c.track({ events: [event({ app_id: 'app-1', properties: { channel: 'email' } })] });
      expect(reply.body).toEqual({ message: 'success', events_processed: 1 });
      const profile = c.sandbox.state.findProfile({ external_id: 'u1' });
      expect(profile?.custom_events.shared).toEqual({ count: 1, first: '2024-05-01T10:00:00.000Z', last: '2024-05-01T10:00:00.000Z' });
      expect(profile?.events).toEqual([{ name: 'shared', time: '2024-05-01T10:00:00.000Z', app_id: 'app-1', properties: { channel: 'email' } }]);
    });

    it('requires name and time', async () => {
      expect(await eventError({ name: undefined })).toBe("'name' is required");
      expect(await eventError({ time: undefined })).toBe("'time' is required");
      expect(c.sandbox.state.profileCount()).toBe(0);
    });

    it('accepts ISO-8601 and the colon-millisecond format for time and rejects anything else', async () => {
      expect(await eventError({ time: '2024-05-01T10:00:00.000+02:00' })).toBeUndefined();
      expect(await eventError({ time: '2024-05-01T10:00:00:250Z' })).toBeUndefined();
      expect(await eventError({ time: '05/01/2024' })).toBeDefined();
      expect(await eventError({ time: 1714557600 })).toBeDefined();
    });

    it('replaces a future time with the current time', async () => {
      await c.track({ events: [event({ time: '2030-01-01T00:00:00Z' })] });
      expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.events[0].time).toBe('2024-06-01T00:00:00.000Z');
    });

    it('rejects property names that start with $ or are reserved', async () => {
      expect(await eventError({ properties: { $channel: 'x' } })).toMatch(/\$/);
      expect(await eventError({ properties: { time: 'x' } })).toMatch(/reserved/);
      expect(await eventError({ properties: { event_name: 'x' } })).toMatch(/reserved/);
      expect(await eventError({ properties: { '': 'x' } })).toBeDefined();
      expect(await eventError({ properties: { ['p'.repeat(256)]: 'x' } })).toBeDefined();
    });

    it('accepts numbers, booleans, dates, strings up to 255, arrays and nested objects as property values', async () => {
      const properties = { n: 1, b: false, d: '2024-01-01T00:00:00Z', s: 's'.repeat(255), a: [1, 'x'], o: { deep: { v: 1 } } };
      expect(await eventError({ properties })).toBeUndefined();
      expect(await eventError({ properties: { s: 's'.repeat(256) } })).toBeDefined();
    });

    it('rejects a properties payload with arrays or objects above 100 KB', async () => {
      const big = { list: Array.from({ length: 500 }, () => 'x'.repeat(250)) };
      expect(await eventError({ properties: big })).toMatch(/100 KB/);
    });

    it('keeps the first 256 properties of an event and drops the rest', async () => {
      const properties = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, i]));
      const reply = await c.track({ events: [event({ properties })] });
      expect(reply.body.errors).toBeUndefined();
      expect(Object.keys(c.sandbox.state.findProfile({ external_id: 'u1' })!.events[0].properties)).toHaveLength(256);
    });

    it('bounds the per-profile history while the summary keeps counting', async () => {
      for (let batch = 0; batch < 3; batch++) {
        await c.track({ events: Array.from({ length: 50 }, (_, i) => event({ properties: { i: batch * 50 + i } })) });
      }
      const profile = c.sandbox.state.findProfile({ external_id: 'u1' })!;
      expect(profile.custom_events.shared.count).toBe(150);
      expect(profile.events).toHaveLength(100);
      expect(profile.events[0].properties.i).toBe(50);
    });

    it('keeps the earliest first and the latest last in the event summary', async () => {
      await c.track({ events: [event({ time: '2024-03-01T00:00:00Z' }), event({ time: '2024-01-01T00:00:00Z' }), event({ time: '2024-02-01T00:00:00Z' })] });
      expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.custom_events.shared)
        .toEqual({ count: 3, first: '2024-01-01T00:00:00.000Z', last: '2024-03-01T00:00:00.000Z' });
    });
  });

  describe('purchases (§2.8)', () => {
    it('records a purchase, counts the quantity as that many purchases and adds price × quantity to revenue', async () => {
      const reply = await c.track({ purchases: [purchase({ quantity: 3, properties: { color: 'red' } })] });
      expect(reply.body).toEqual({ message: 'success', purchases_processed: 1 });
      const profile = c.sandbox.state.findProfile({ external_id: 'u1' })!;
      expect(profile.purchases['sku-1'].count).toBe(3);
      expect(profile.total_revenue).toBeCloseTo(29.97);
      expect(profile.purchase_history[0]).toMatchObject({ product_id: 'sku-1', currency: 'USD', price: 9.99, quantity: 3 });
    });

    it('defaults quantity to 1 and rejects quantities above 100 or below 1', async () => {
      await c.track({ purchases: [purchase({})] });
      expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.purchase_history[0].quantity).toBe(1);
      expect(await purchaseError({ quantity: 101 })).toBeDefined();
      expect(await purchaseError({ quantity: 0 })).toBeDefined();
      expect(await purchaseError({ quantity: 100 })).toBeUndefined();
    });

    it('requires product_id of at most 255 characters', async () => {
      expect(await purchaseError({ product_id: undefined })).toBe("'product_id' is required");
      expect(await purchaseError({ product_id: 'p'.repeat(256) })).toBeDefined();
    });

    it('requires an ISO-4217 currency code', async () => {
      expect(await purchaseError({ currency: undefined })).toBe("'currency' is required");
      expect(await purchaseError({ currency: 'usd' })).toBeDefined();
      expect(await purchaseError({ currency: 'XYZ' })).toBeDefined();
      expect(await purchaseError({ currency: 'EUR' })).toBeUndefined();
    });

    it('requires a numeric price and a time', async () => {
      expect(await purchaseError({ price: '9.99' })).toBeDefined();
      expect(await purchaseError({ price: undefined })).toBe("'price' is required");
      expect(await purchaseError({ time: undefined })).toBe("'time' is required");
    });

    it('applies the event property rules to purchase properties', async () => {
      expect(await purchaseError({ properties: { $x: 1 } })).toBeDefined();
    });
  });

  describe('data points (§8)', () => {
    const points = () => c.sandbox.state.counters().dataPoints;

    it('counts one point per attribute value set, and setting a whole array as one', async () => {
      await c.track({ attributes: [{ external_id: 'u1', first_name: 'A', tier: 'gold', tags: ['a', 'b', 'c'] }] });
      expect(points()).toMatchObject({ total: 3, attributes: 3 });
      expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.data_points).toBe(3);
    });

    it('counts each added array value as one point', async () => {
      await c.track({ attributes: [{ external_id: 'u1', tags: { add: ['a', 'b'] } }] });
      expect(points().attributes).toBe(2);
    });

    it('counts each key of a nested object, and one for setting an object to null', async () => {
      await c.track({ attributes: [{ external_id: 'u1', fav: { title: 'x', year: 1, studio: { name: 'y' } } }] });
      expect(points().attributes).toBe(3);
      await c.track({ attributes: [{ external_id: 'u1', fav: null }] });
      expect(points().attributes).toBe(4);
    });

    it('counts one per event and per purchase unit plus purchase properties', async () => {
      await c.track({ events: [event({ properties: { a: 1, b: 2 } })], purchases: [purchase({ quantity: 2, properties: { color: 'red' } })] });
      expect(points()).toMatchObject({ events: 1, purchases: 3, total: 4 });
    });

    it('charges re-sent unchanged values again', async () => {
      const body = { attributes: [{ external_id: 'u1', tier: 'gold' }] };
      await c.track(body);
      await c.track(body);
      expect(points().attributes).toBe(2);
    });

    it('does not charge subscription state changes or push tokens', async () => {
      await c.track({ attributes: [{
        external_id: 'u1', email_subscribe: 'opted_in',
        subscription_groups: [{ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed' }],
        push_tokens: [{ app_id: 'app', token: 'tok' }],
      }] });
      expect(points().total).toBe(0);
    });

    it('does not charge objects that were rejected or skipped', async () => {
      await c.track({ attributes: [{ tier: 'x' }, { user_alias: { alias_name: 'n', alias_label: 'l' }, tier: 'y' }] });
      expect(points().total).toBe(0);
    });
  });
});
