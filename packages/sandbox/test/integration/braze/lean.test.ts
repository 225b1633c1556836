import { describe, expect, it } from 'vitest';
import { EMAIL_GROUP, at, clientsClosedAfterEach, type Reply, type TestClient } from './helpers.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const RATE_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-retry-after'];

/** What a client can see of an answer: status, body and the rate-limit headers. */
const visible = (r: Reply) => ({
  status: r.status,
  body: r.body,
  headers: Object.fromEntries(RATE_HEADERS.map((h) => [h, r.headers.get(h)])),
});

const tooMany = { attributes: Array.from({ length: 76 }, (_, i) => ({ external_id: `m${i}`, n: i })) };

/** Requests whose answers lean mode must give exactly as normal mode does. */
const CASES: [string, (c: TestClient) => Promise<Reply>][] = [
  ['no API key', (c) => c.post('/users/track', { attributes: [{ external_id: 'u1' }] }, { key: null })],
  ['an unknown API key', (c) => c.post('/users/track', { attributes: [{ external_id: 'u1' }] }, { key: 'nope' })],
  ['a key in quotes', (c) => c.post('/users/track', { attributes: [{ external_id: 'u1' }] }, { authorization: `Bearer "${c.sandbox.apiKey}"` })],
  ['a key without the permission', (c) => c.post('/users/track', { attributes: [{ external_id: 'u1' }] }, { key: 'export-only' })],
  ['an unknown path', (c) => c.post('/users/trak', { attributes: [] })],
  ['a wrong Content-Type', (c) => c.post('/users/track', { attributes: [{ external_id: 'u1' }] }, { contentType: 'text/plain' })],
  ['a body that is not JSON', (c) => c.post('/users/track', undefined, { raw: '{"attributes": [' })],
  ['an empty body', (c) => c.post('/users/track', undefined)],
  ['no objects', (c) => c.track({ attributes: [], events: [] })],
  ['76 objects', (c) => c.track(tooMany)],
  ['attributes that are not an array', (c) => c.track({ attributes: { external_id: 'u1' } })],
  ['per-object errors', (c) => c.track({
    attributes: [
      { external_id: 'ok', tier: 'gold' }, { external_id: 'null' }, { email: 'not an email' }, { tier: 'no id' },
      { external_id: 'x'.repeat(988) }, { external_id: 'two', braze_id: 'b' }, { external_id: 'bad', dob: '1990-02-30' },
    ],
    events: [{ external_id: 'ok', name: 'e' }, { external_id: 'ok', name: 'e', time: at, properties: { $x: 1 } }],
    purchases: [{ external_id: 'ok', product_id: 'p', currency: 'usd', price: 1, time: at }],
  })],
  ['an export without fields_to_export', (c) => c.post('/users/export/ids', { external_ids: ['ok'] })],
  ['a subscription set with both email and phone', (c) => c.post('/subscription/status/set', {
    subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', email: 'a@example.com', phone: '+15555550100',
  })],
];

describe('the lean Braze sandbox', () => {
  const start = clientsClosedAfterEach({ now: () => NOW, apiKeys: { 'export-only': ['users.export.ids'] }, apiKey: 'sandbox-api-key' });

  it('answers every bad request exactly as normal mode does: same status, message and rate-limit headers', async () => {
    const normal = await start();
    const lean = await start({ lean: true });
    expect(lean.sandbox.state.lean).toBe(true);
    expect(normal.sandbox.state.lean).toBe(false);
    const statuses: number[] = [];
    for (const [name, send] of CASES) {
      const [a, b] = [await send(normal), await send(lean)];
      expect(visible(b), name).toEqual(visible(a));
      statuses.push(b.status);
    }
    expect(statuses).toEqual([401, 401, 401, 403, 404, 400, 400, 400, 400, 400, 400, 201, 400, 400]);
    const normalCounters = normal.sandbox.state.counters();
    expect(normalCounters.byEndpoint['POST /users/track']).toEqual({ 400: 6, 401: 3, 403: 1, 201: 1 });
    expect(lean.sandbox.state.counters()).toEqual(normalCounters);
    const perObject = await CASES[11][1](lean);
    expect(perObject.body.errors.map((e: { index: number; input_array: string }) => `${e.input_array}[${e.index}]`)).toEqual([
      'attributes[1]', 'attributes[2]', 'attributes[3]', 'attributes[4]', 'attributes[5]', 'attributes[6]', 'events[0]', 'events[1]', 'purchases[0]',
    ]);
    expect((await CASES[9][1](lean)).body.message).toBe('Max Input Length Exceeded');
  });

  it('enforces rate limits with 429s, headers and counters as normal mode does', async () => {
    const rateLimits = { 'users.track': { limit: 2, windowMs: 60_000 } };
    const normal = await start({ rateLimits });
    const lean = await start({ lean: true, rateLimits });
    for (const c of [normal, lean]) {
      for (let i = 0; i < 3; i++) await c.track({ attributes: [{ external_id: `r${i}`, tier: 'gold' }] });
    }
    const [a, b] = [await normal.track({ attributes: [{ external_id: 'r' }] }), await lean.track({ attributes: [{ external_id: 'r' }] })];
    expect(b.status).toBe(429);
    expect(visible(b)).toEqual(visible(a));
    expect(b.body).toEqual({ message: 'Too Many Requests' });
    const counters = lean.sandbox.state.counters();
    expect(counters.rateLimited).toBe(2);
    expect(counters.byEndpoint['POST /users/track']).toEqual({ 201: 2, 429: 2 });
    expect(lean.sandbox.state.profileCount()).toBe(2);
    expect(counters).toEqual(normal.sandbox.state.counters());
  });

  it('counts objects per kind, requests per endpoint and status, and data points', async () => {
    const c = await start({ lean: true });
    await c.track({
      attributes: [{ external_id: 'u1', AIQ_1_2: true }, { external_id: 'u2', AIQ_1_2: false }, { email: 'bad' }],
      events: [{ external_id: 'u1', name: 'seen', time: at }],
      purchases: [{ external_id: 'u2', product_id: 'p', currency: 'USD', price: 2, quantity: 3, time: at }],
    });
    await c.track({});
    const counters = (await c.control('GET', '/counters')).body;
    expect(counters).toMatchObject({
      requests: 2,
      byEndpoint: { 'POST /users/track': { 201: 1, 400: 1 } },
      objects: {
        attributes: { received: 3, processed: 2, errors: 1 },
        events: { received: 1, processed: 1, errors: 0 },
        purchases: { received: 1, processed: 1, errors: 0 },
      },
      dataPoints: { total: 6, attributes: 2, events: 1, purchases: 3 },
      profiles: 2,
    });
  });

  it('keeps no request log, and says so: GET /_sandbox/requests answers 409, state.requests() throws', async () => {
    const c = await start({ lean: true });
    await c.track({ attributes: [{ external_id: 'u1' }] });
    const reply = await c.control('GET', '/requests');
    expect(reply.status).toBe(409);
    expect(reply.body.error).toMatch(/lean mode.*keeps no request log/);
    expect(() => c.sandbox.state.requests()).toThrow(/lean mode/);
    expect((await c.control('POST', '/reset')).status).toBe(200);
  });

  it('keeps profiles that export and subscription endpoints read, without event and purchase history', async () => {
    const c = await start({ lean: true, subscriptionGroups: { [EMAIL_GROUP]: 'email' } });
    const track = await c.track({
      attributes: [
        { external_id: 'u1', email: 'u1@example.com', first_name: 'Ada', AIQ_7_1: true, tags: ['a', 'b', 'a'] },
        { external_id: 'u2', AIQ_7_1: false, subscription_groups: [{ subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed' }] },
      ],
      events: [{ external_id: 'u1', name: 'seen', time: at }],
      purchases: [{ external_id: 'u1', product_id: 'p', currency: 'USD', price: 2, time: at }],
    });
    expect(track.status).toBe(201);
    await c.track({ attributes: [{ external_id: 'u1', AIQ_7_1: false, visits: { inc: 2 } }] });

    const exported = await c.post('/users/export/ids', {
      external_ids: ['u1', 'u2', 'nobody'],
      fields_to_export: ['external_id', 'braze_id', 'email', 'first_name', 'custom_attributes', 'custom_events', 'purchases', 'total_revenue'],
    });
    expect(exported.status).toBe(201);
    const [u1, u2] = exported.body.users;
    expect(u1).toMatchObject({
      external_id: 'u1', email: 'u1@example.com', first_name: 'Ada',
      custom_attributes: { AIQ_7_1: false, tags: ['a', 'b'], visits: 2 },
      custom_events: [{ name: 'seen', count: 1 }], purchases: [{ name: 'p', count: 1 }], total_revenue: 2,
    });
    expect(u1.braze_id).toMatch(/^[0-9a-f]{24}$/);
    expect(u2).toMatchObject({ external_id: 'u2', custom_attributes: { AIQ_7_1: false } });
    expect(exported.body.invalid_user_ids).toEqual(['nobody']);

    // The braze_id a client was given finds the profile, and stays the same.
    const byBrazeId = await c.post('/users/export/ids', { braze_id: u1.braze_id, fields_to_export: ['external_id', 'braze_id'] });
    expect(byBrazeId.body.users).toEqual([{ external_id: 'u1', braze_id: u1.braze_id }]);
    expect(c.sandbox.state.findProfile({ braze_id: u1.braze_id })?.external_id).toBe('u1');

    const status = await c.get('/subscription/status/get', { subscription_group_id: EMAIL_GROUP, external_id: ['u1', 'u2'] });
    expect(status.body.status).toEqual({ u1: 'Unknown', u2: 'Subscribed' });
    const set = await c.post('/subscription/status/set', { subscription_group_id: EMAIL_GROUP, subscription_state: 'subscribed', external_id: 'u1' });
    expect(set.status).toBe(201);
    const after = await c.get('/subscription/status/get', { subscription_group_id: EMAIL_GROUP, email: 'u1@example.com' });
    expect(after.body.status).toEqual({ 'u1@example.com': 'Subscribed' });

    const profile = c.sandbox.state.findProfile({ external_id: 'u1' })!;
    expect(profile.custom_events).toEqual({ seen: { count: 1, first: '2024-05-01T10:00:00.000Z', last: '2024-05-01T10:00:00.000Z' } });
    expect(profile.events).toEqual([]);
    expect(profile.purchase_history).toEqual([]);
  });

  it('gives each profile a braze_id from the seed when it is first read, the same on every read', async () => {
    const c = await start({ lean: true });
    await c.track({ attributes: [{ external_id: 'first' }, { external_id: 'second' }] });
    const second = c.sandbox.state.findProfile({ external_id: 'second' })!.braze_id;
    const first = c.sandbox.state.findProfile({ external_id: 'first' })!.braze_id;
    expect(new Set([first, second]).size).toBe(2);
    expect((await c.control('GET', '/profiles')).body.profiles.map((p: { braze_id: string }) => p.braze_id)).toEqual([first, second]);
    expect(first.slice(0, 8)).toBe(Math.floor(NOW / 1000).toString(16));
  });

  it('copies only the profiles GET /_sandbox/profiles?limit= lists, so only those get a braze_id', async () => {
    const c = await start({ lean: true });
    await c.track({ attributes: [{ external_id: 'a' }, { external_id: 'b' }, { external_id: 'c' }] });
    const listed = (await c.control('GET', '/profiles?limit=2')).body;
    expect(listed.count).toBe(3);
    expect(listed.profiles.map((p: { external_id: string }) => p.external_id)).toEqual(['a', 'b']);
    expect(c.sandbox.state.profiles(1).map((p) => p.external_id)).toEqual(['a']);
    expect(c.sandbox.state.profiles()).toHaveLength(3);
  });
});
