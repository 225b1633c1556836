import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startClient, type TestClient } from './helpers.js';

const track = { attributes: [{ external_id: 'u1', first_name: 'Ada' }] };

describe('Braze sandbox authentication and routing (braze-api.md §1, §3)', () => {
  let c: TestClient;
  beforeAll(async () => {
    c = await startClient({
      apiKeys: { 'track-only': ['users.track'], 'export-only': ['users.export.ids'] },
      apiKey: 'all-key',
    });
  });
  afterAll(() => c.sandbox.close());
  beforeEach(() => c.sandbox.state.reset());

  it('accepts the default key as a Bearer token', async () => {
    const reply = await c.track(track);
    expect(reply.status).toBe(201);
    expect(c.sandbox.apiKey).toBe('all-key');
  });

  it('answers 401 when the Authorization header is missing and applies nothing', async () => {
    const reply = await c.post('/users/track', track, { key: null });
    expect(reply.status).toBe(401);
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('answers 401 for an unknown key', async () => {
    const reply = await c.post('/users/track', track, { key: 'nope' });
    expect(reply.status).toBe(401);
    expect(reply.body.message).toMatch(/Invalid API key/);
    expect(JSON.stringify(reply.body)).not.toContain('nope');
  });

  it('answers 401 when the key is wrapped in quotes in the header', async () => {
    const reply = await c.post('/users/track', track, { authorization: 'Bearer "all-key"' });
    expect(reply.status).toBe(401);
  });

  it('does not accept the retired api_key field in the body', async () => {
    const reply = await c.post('/users/track', { api_key: 'all-key', ...track }, { key: null });
    expect(reply.status).toBe(401);
  });

  it('answers 403 Access Denied when the key lacks the endpoint permission', async () => {
    const reply = await c.post('/users/export/ids', { external_ids: ['u1'], fields_to_export: ['external_id'] }, { key: 'track-only' });
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual({ message: 'Access Denied' });
  });

  it('requires the permission named after each endpoint', async () => {
    expect((await c.post('/users/track', track, { key: 'track-only' })).status).toBe(201);
    expect((await c.post('/users/track', track, { key: 'export-only' })).status).toBe(403);
    expect((await c.post('/users/alias/new', { user_aliases: [{ alias_name: 'a', alias_label: 'l' }] }, { key: 'track-only' })).status).toBe(403);
    expect((await c.get('/subscription/user/status', { external_id: 'u1' }, { key: 'track-only' })).status).toBe(403);
  });

  it('answers 404 for an invalid URL', async () => {
    const reply = await c.post('/users/trak', track);
    expect(reply.status).toBe(404);
    expect((await c.get('/users/track')).status).toBe(404);
  });

  it('answers 400 when the body is not JSON', async () => {
    const reply = await c.post('/users/track', undefined, { raw: '{"attributes": [' });
    expect(reply.status).toBe(400);
    expect(reply.body.message).not.toBe('success');
  });

  it('answers 400 when the Content-Type is not application/json', async () => {
    const reply = await c.post('/users/track', track, { contentType: 'text/plain' });
    expect(reply.status).toBe(400);
    expect(c.sandbox.state.profileCount()).toBe(0);
  });

  it('answers JSON with a message on every error', async () => {
    const reply = await c.post('/users/track', track, { key: 'nope' });
    expect(reply.headers.get('content-type')).toMatch(/application\/json/);
    expect(typeof reply.body.message).toBe('string');
  });
});
