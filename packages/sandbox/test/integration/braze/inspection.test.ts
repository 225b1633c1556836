import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientsClosedAfterEach, startClient, type TestClient } from './helpers.js';

const alias = { alias_name: 'q@example.com', alias_label: 'email' };

describe('Braze sandbox inspection and control under /_sandbox/', () => {
  const start = clientsClosedAfterEach();
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  const seed = (c: TestClient) => c.track({
    attributes: [
      { external_id: 'u1', email: 'u1@example.com' },
      { user_alias: alias, _update_existing_only: false },
      { external_id: 'u2', email: 'u1@example.com' },
    ],
  });

  it('lists profiles and filters them by external_id, email, alias, braze_id and phone', async () => {
    const c = await start();
    await seed(c);
    await c.track({ attributes: [{ external_id: 'u3', phone: '+15555550100' }] });
    expect((await c.control('GET', '/profiles')).body.count).toBe(4);
    const byId = await c.control('GET', '/profiles?external_id=u1');
    expect(byId.body.profiles.map((p: { external_id: string }) => p.external_id)).toEqual(['u1']);
    expect((await c.control('GET', '/profiles?email=U1%40example.com')).body.count).toBe(2);
    expect((await c.control('GET', '/profiles?alias_label=email&alias_name=q%40example.com')).body.profiles[0].user_aliases).toEqual([alias]);
    const brazeId = byId.body.profiles[0].braze_id;
    expect((await c.control('GET', `/profiles?braze_id=${brazeId}`)).body.profiles[0].external_id).toBe('u1');
    expect((await c.control('GET', '/profiles?phone=%2B15555550100')).body.profiles[0].external_id).toBe('u3');
    expect((await c.control('GET', '/profiles?alias_label=email')).status).toBe(400);
  });

  it('finds profiles programmatically by every identifier', async () => {
    const c = await start();
    await seed(c);
    const u1 = c.sandbox.state.findProfile({ external_id: 'u1' })!;
    expect(c.sandbox.state.findProfile({ braze_id: u1.braze_id })?.external_id).toBe('u1');
    expect(c.sandbox.state.findProfile({ user_alias: alias })?.external_id).toBeNull();
    expect(c.sandbox.state.findProfile({ email: 'u1@example.com' })?.external_id).toBe('u2');
    expect(c.sandbox.state.profiles()).toHaveLength(3);
  });

  it('hands out copies, so changing one does not change the sandbox', async () => {
    const c = await start();
    await seed(c);
    const copy = c.sandbox.state.findProfile({ external_id: 'u1' })!;
    copy.custom_attributes.hacked = true;
    expect(c.sandbox.state.findProfile({ external_id: 'u1' })?.custom_attributes.hacked).toBeUndefined();
  });

  it('logs requests with method, path, status, bodies and time, never the API key', async () => {
    const c = await start();
    await seed(c);
    await c.track({});
    const reply = await c.control('GET', '/requests?limit=1');
    expect(reply.body.count).toBe(1);
    const [entry] = reply.body.requests;
    expect(entry).toMatchObject({ method: 'POST', path: '/users/track', status: 400, requestBody: {} });
    expect(entry.responseBody.message).toMatch(/Valid data/);
    expect(Date.parse(entry.timestamp)).not.toBeNaN();
    expect(JSON.stringify(c.sandbox.state.requests())).not.toContain(c.sandbox.apiKey);
    expect((await c.control('GET', '/requests?path=/users/export/ids')).body.count).toBe(0);
  });

  it('keeps only the last requestLogSize requests', async () => {
    const c = await start({ requestLogSize: 3 });
    for (let i = 0; i < 5; i++) await c.track({ attributes: [{ external_id: `u${i}` }] });
    const log = c.sandbox.state.requests();
    expect(log.map((r) => (r.requestBody as { attributes: { external_id: string }[] }).attributes[0].external_id)).toEqual(['u2', 'u3', 'u4']);
    expect(log.map((r) => r.seq)).toEqual([3, 4, 5]);
  });

  it('counts requests by endpoint and status, objects by array, data points and 429s', async () => {
    const c = await start({ rateLimits: { 'users.track': { limit: 2, windowMs: 60_000 } } });
    await c.track({ attributes: [{ external_id: 'u1', tier: 'x' }, { nope: 1 }], events: [{ external_id: 'u1', name: 'e', time: '2024-01-01T00:00:00Z' }] });
    await c.track({});
    await c.track({});
    await c.post('/nowhere', {});
    const counters = (await c.control('GET', '/counters')).body;
    expect(counters).toMatchObject({
      requests: 4,
      byEndpoint: { 'POST /users/track': { 201: 1, 400: 1, 429: 1 }, 'other': { 404: 1 } },
      objects: { attributes: { received: 2, processed: 1, errors: 1 }, events: { received: 1, processed: 1, errors: 0 } },
      dataPoints: { total: 2, attributes: 1, events: 1, purchases: 0 },
      rateLimited: 1,
      profiles: 1,
    });
  });

  it('resets profiles, log, counters, rate windows and faults', async () => {
    const c = await start({ rateLimits: { 'users.track': { limit: 1, windowMs: 60_000 } } });
    await seed(c);
    c.sandbox.state.faults.script([{ fault: 'status', status: 500, path: '/users/export/ids' }]);
    expect((await c.control('POST', '/reset')).status).toBe(200);
    expect(c.sandbox.state.profileCount()).toBe(0);
    expect(c.sandbox.state.requests()).toEqual([]);
    expect(c.sandbox.state.counters().requests).toBe(0);
    expect(c.sandbox.state.faults.get().script).toEqual([]);
    expect((await c.track({ attributes: [{ external_id: 'again' }] })).status).toBe(201);
  });

  it('reads and changes the run-time config, rejecting invalid values', async () => {
    const c = await start();
    const config = (await c.control('GET', '/config')).body;
    expect(config).toMatchObject({ latency: null, limits: 'default', rateLimitStyle: 'epoch', objectLimitMode: 'combined', strictGroups: false });
    expect((await c.control('PUT', '/config', { latencyMs: 5, objectLimitMode: 'legacy', rateLimitStyle: 'mau' })).body)
      .toMatchObject({ latency: { fixedMs: 5 }, objectLimitMode: 'legacy', rateLimitStyle: 'mau' });
    expect((await c.control('PUT', '/config', { limits: 'some' })).status).toBe(400);
    expect((await c.control('PUT', '/config', { rateLimits: { 'users.trak': { limit: 1, windowMs: 1 } } })).status).toBe(400);
    expect((await c.control('PUT', '/config', { latency: { minMs: 5 } })).status).toBe(400);
    expect((await c.control('PUT', '/config', { colour: 'blue' })).status).toBe(400);
  });

  it('needs no API key and answers 404 for unknown control paths', async () => {
    const c = await start({ faults: { errorRate: 1 } });
    expect((await c.control('GET', '/health')).body).toEqual({ status: 'ok' });
    expect((await c.control('GET', '/nothing')).status).toBe(404);
  });

  it('persists profiles in dataDir on close and loads them on the next start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'braze-sandbox-'));
    dirs.push(dataDir);
    const first = await startClient({ dataDir: join(dataDir, 'nested') });
    await seed(first);
    await first.sandbox.close();
    const second = await start({ dataDir: join(dataDir, 'nested') });
    expect(second.sandbox.state.profileCount()).toBe(3);
    expect(second.sandbox.state.findProfile({ user_alias: alias })).toBeDefined();
    expect(second.sandbox.state.findProfiles({ email: 'u1@example.com' })).toHaveLength(2);
    await second.track({ attributes: [{ external_id: 'u1', tier: 'after restart' }] });
    expect(second.sandbox.state.profileCount()).toBe(3);
    await second.sandbox.state.reset();
    const saved = JSON.parse(await readFile(join(dataDir, 'nested', 'braze-sandbox.json'), 'utf8'));
    expect(saved.profiles).toEqual([]);
  });

  it('fails fast on invalid options', async () => {
    await expect(startClient({ requestLogSize: -1 })).rejects.toThrow(/requestLogSize/);
    await expect(startClient({ subscriptionGroups: { 'not-a-uuid': 'email' } })).rejects.toThrow(/UUID/);
    await expect(startClient({ arrayLimits: { tags: 101 } })).rejects.toThrow(/arrayLimits/);
  });
});
