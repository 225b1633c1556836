import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../../src/config/index.js';
import type { OutboundRoute } from '../../../src/partners/braze-events/options.js';

const BRAZE_ENV = { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'a1b2c3d4-0000-4000-8000-000000000001' };
const SECRETS = { MOVABLE_INK_USERNAME: 'mi-user', MOVABLE_INK_PASSWORD: 'mi-secret-password', QUIKLY_API_KEY: 'quikly-secret-token', BRAZE_EVENTS_TOKEN: 'receiver-secret-token' };

async function problemsOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).problems.join('\n');
}

const routes: OutboundRoute[] = [{ event: 'Product Viewed', to: 'movableInk' }, { event: 'App Login', to: 'quiklyWebhook', qScope: 's', eventId: 'e' }];

describe('outbound configuration', () => {
  it('reads the partner credentials and the receiver token from the environment, and hides them when printed', async () => {
    const config = await loadConfig({ env: { ...BRAZE_ENV, ...SECRETS }, overrides: { topics: { consume: ['brazeEvents'] }, outbound: { routes, movableInk: { url: 'https://mi.example.com/behavioral/K' }, receiver: { enabled: true } } } });
    expect(config.outbound.movableInk.username).toBe('mi-user');
    expect(config.outbound.movableInk.password).toBe('mi-secret-password');
    expect(config.outbound.quiklyWebhook.token).toBe('quikly-secret-token');
    expect(config.outbound.receiver.token).toBe('receiver-secret-token');
    const printed = JSON.stringify(redactConfig(config));
    for (const secret of ['mi-secret-password', 'quikly-secret-token', 'receiver-secret-token']) expect(printed).not.toContain(secret);
  });

  it('asks for what each routed partner needs, by environment variable', async () => {
    const problems = await problemsOf(loadConfig({ env: BRAZE_ENV, overrides: { topics: { consume: ['brazeEvents'] }, outbound: { routes, receiver: { enabled: true } } } }));
    expect(problems).toContain('outbound.movableInk.url');
    expect(problems).toContain('MOVABLE_INK_USERNAME');
    expect(problems).toContain('MOVABLE_INK_PASSWORD');
    expect(problems).toContain('QUIKLY_API_KEY');
    expect(problems).toContain('BRAZE_EVENTS_TOKEN');
  });

  it('requires HTTPS unless allowInsecure, and qScope and eventId on Quikly routes', async () => {
    const overrides = { topics: { consume: ['brazeEvents' as const] }, outbound: { routes: [{ event: 'X', to: 'quiklyWebhook' as const }], movableInk: { url: 'http://mi.example.com/behavioral/K' }, quiklyWebhook: { url: 'http://q.example.com/webhook' } } };
    const problems = await problemsOf(loadConfig({ env: { ...BRAZE_ENV, ...SECRETS }, overrides }));
    expect(problems).toMatch(/outbound\.movableInk\.url.*https/);
    expect(problems).toMatch(/outbound\.quiklyWebhook\.url.*https/);
    expect(problems).toContain('outbound.routes[0].qScope');
    expect(problems).toContain('outbound.routes[0].eventId');
    const insecure = await loadConfig({ env: { ...BRAZE_ENV, ...SECRETS }, overrides: { ...overrides, outbound: { ...overrides.outbound, allowInsecure: true, routes: [{ event: 'X', to: 'quiklyWebhook', qScope: 's', eventId: 'e' }] } } });
    expect(insecure.outbound.quiklyWebhook.url).toBe('http://q.example.com/webhook');
  });

  it('refuses an unknown destination or route field', async () => {
    const problems = await problemsOf(loadConfig({ env: BRAZE_ENV, overrides: { outbound: { routes: [{ event: 'X', to: 'elsewhere' as never, colour: 'red' } as never] } } }));
    expect(problems).toContain('outbound.routes[0]');
  });
});
