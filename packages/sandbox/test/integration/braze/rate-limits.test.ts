import { afterEach, describe, expect, it } from 'vitest';
import { startClient, type TestClient } from './helpers.js';

const body = { attributes: [{ external_id: 'u1', tier: 'gold' }] };

describe('Braze sandbox rate limits (braze-api.md §4)', () => {
  let c: TestClient | undefined;
  afterEach(async () => {
    await c?.sandbox.close();
    c = undefined;
  });

  it('starts with Braze\'s published limits per endpoint group', async () => {
    c = await startClient();
    expect(c.sandbox.state.config().rateLimits).toEqual({
      'users.track': { limit: 3000, windowMs: 3000 },
      'users.export.ids': { limit: 250, windowMs: 60_000 },
      'users.identity': { limit: 20_000, windowMs: 60_000 },
      'subscription.status.set': { limit: 5000, windowMs: 60_000 },
      'default': { limit: 250_000, windowMs: 3_600_000 },
    });
  });

  it('sends X-RateLimit-Limit, -Remaining and -Reset as epoch seconds on every answer', async () => {
    let nowMs = 1_700_000_000_000;
    c = await startClient({ now: () => nowMs });
    const first = await c.track(body);
    expect(first.headers.get('x-ratelimit-limit')).toBe('3000');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2999');
    expect(first.headers.get('x-ratelimit-reset')).toBe(String((nowMs + 3000) / 1000));
    nowMs += 1000;
    const invalid = await c.track({});
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-ratelimit-remaining')).toBe('2998');
    const exported = await c.post('/users/export/ids', { external_ids: ['u1'], fields_to_export: ['external_id'] });
    expect(exported.headers.get('x-ratelimit-limit')).toBe('250');
  });

  it('answers 429 with Remaining 0 once a burst spends the window, and applies nothing', async () => {
    c = await startClient({ rateLimits: { 'users.track': { limit: 5, windowMs: 60_000 } } });
    const replies = [];
    for (let i = 0; i < 7; i++) replies.push(await c.track({ events: [{ external_id: 'u1', name: 'e', time: '2024-05-01T00:00:00Z' }] }));
    expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 429, 429]);
    const limited = replies[5];
    expect(limited.headers.get('x-ratelimit-limit')).toBe('5');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(typeof limited.body.message).toBe('string');
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.custom_events.e.count).toBe(5);
    expect(c.sandbox.state.counters().rateLimited).toBe(2);
  });

  it('opens a new window once the previous one has passed', async () => {
    let nowMs = 1_700_000_000_000;
    c = await startClient({ now: () => nowMs, rateLimits: { 'users.track': { limit: 5, windowMs: 1000 } } });
    for (let i = 0; i < 5; i++) expect((await c.track(body)).status).toBe(201);
    expect((await c.track(body)).status).toBe(429);
    nowMs += 1000;
    const reply = await c.track(body);
    expect(reply.status).toBe(201);
    expect(reply.headers.get('x-ratelimit-remaining')).toBe('4');
  });

  it('keeps separate budgets per group and shares one between alias/new and identify', async () => {
    c = await startClient({ rateLimits: { 'users.track': { limit: 1, windowMs: 60_000 }, 'users.identity': { limit: 2, windowMs: 60_000 } } });
    expect((await c.track(body)).status).toBe(201);
    expect((await c.track(body)).status).toBe(429);
    expect((await c.post('/users/export/ids', { external_ids: ['u1'], fields_to_export: ['external_id'] })).status).toBe(201);
    expect((await c.post('/users/alias/new', { user_aliases: [{ alias_name: 'a', alias_label: 'l' }] })).status).toBe(201);
    expect((await c.post('/users/identify', { aliases_to_identify: [{ external_id: 'u1', user_alias: { alias_name: 'a', alias_label: 'l' } }] })).status).toBe(201);
    expect((await c.post('/users/alias/new', { user_aliases: [{ alias_name: 'b', alias_label: 'l' }] })).status).toBe(429);
  });

  it('shares one budget between the v1 and v2 subscription setters', async () => {
    c = await startClient({ rateLimits: { 'subscription.status.set': { limit: 1, windowMs: 60_000 } } });
    const group = '3f1b6e2a-6c1d-4c35-9a57-0d2f0b6b9a11';
    expect((await c.post('/subscription/status/set', { subscription_group_id: group, subscription_state: 'subscribed', external_id: 'u1' })).status).toBe(201);
    expect((await c.post('/v2/subscription/status/set', { subscription_groups: [{ subscription_group_id: group, subscription_state: 'subscribed', external_ids: ['u1'] }] })).status).toBe(429);
  });

  it('counts the subscription readers against the default pool', async () => {
    c = await startClient({ rateLimits: { default: { limit: 1, windowMs: 60_000 } } });
    const group = '3f1b6e2a-6c1d-4c35-9a57-0d2f0b6b9a11';
    expect((await c.get('/subscription/status/get', { subscription_group_id: group, external_id: 'u1' })).status).toBe(200);
    const limited = await c.get('/subscription/user/status', { external_id: 'u1' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('1');
  });

  it('sends seconds until reset in MAU style, and only X-Ratelimit-Retry-After on a 429', async () => {
    let nowMs = 1_700_000_000_000;
    c = await startClient({ now: () => nowMs, rateLimitStyle: 'mau', rateLimits: { 'users.track': { limit: 2, windowMs: 60_000 } } });
    const ok = await c.track(body);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('2');
    expect(ok.headers.get('x-ratelimit-remaining')).toBe('1');
    expect(ok.headers.get('x-ratelimit-reset')).toBe('60');
    nowMs += 15_500;
    await c.track(body);
    const limited = await c.track(body);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-retry-after')).toBe('45');
    expect(limited.headers.get('x-ratelimit-limit')).toBeNull();
    expect(limited.headers.get('x-ratelimit-remaining')).toBeNull();
    expect(limited.headers.get('x-ratelimit-reset')).toBeNull();
  });

  it('never limits and sends no rate-limit headers with limits unlimited', async () => {
    c = await startClient({ limits: 'unlimited', rateLimits: { 'users.track': { limit: 1, windowMs: 60_000 } } });
    for (let i = 0; i < 5; i++) {
      const reply = await c.track(body);
      expect(reply.status).toBe(201);
      expect(reply.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('changes limits at run time through the control endpoint', async () => {
    c = await startClient();
    const updated = await c.control('PUT', '/config', { rateLimits: { 'users.track': { limit: 1, windowMs: 60_000 } } });
    expect(updated.status).toBe(200);
    expect(updated.body.rateLimits['users.track']).toEqual({ limit: 1, windowMs: 60_000 });
    expect((await c.track(body)).status).toBe(201);
    expect((await c.track(body)).status).toBe(429);
    await c.control('PUT', '/config', { limits: 'unlimited' });
    expect((await c.track(body)).status).toBe(201);
  });

  it('does not spend the budget on requests without a valid key', async () => {
    c = await startClient({ rateLimits: { 'users.track': { limit: 1, windowMs: 60_000 } } });
    expect((await c.post('/users/track', body, { key: 'wrong' })).status).toBe(401);
    expect((await c.track(body)).status).toBe(201);
  });
});
