import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, redactConfig } from '../../../src/config/index.js';

describe('redactConfig', () => {
  it('replaces every secret with *** and keeps everything else', async () => {
    const config = await loadConfig({
      env: {
        BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com',
        BRAZE_API_KEY: 'braze-key-1',
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'svc-tributary',
        KAFKA_SASL_PASSWORD: 'kafka-password-1',
        SCHEMA_REGISTRY_USERNAME: 'registry-user',
        SCHEMA_REGISTRY_PASSWORD: 'registry-password-1',
      },
      overrides: { kafka: { ssl: { key: '-----BEGIN PRIVATE KEY-----\nprivate-key-1\n-----END PRIVATE KEY-----\n', rejectUnauthorized: true } } },
    });
    const redacted = redactConfig(config) as typeof config;
    const text = JSON.stringify(redacted);
    for (const secret of ['braze-key-1', 'kafka-password-1', 'registry-password-1', 'private-key-1']) expect(text).not.toContain(secret);
    expect(redacted.braze.apiKey).toBe('***');
    expect(redacted.kafka.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'svc-tributary', password: '***' });
    expect(redacted.schemaRegistry).toMatchObject({ username: 'registry-user', password: '***' });
    expect(redacted.kafka.ssl).toEqual({ key: '***', rejectUnauthorized: true });
    expect(redacted.braze.restEndpoint).toBe('https://rest.iad-01.braze.com');
  });

  it('leaves unset secrets null, so the output shows they are missing', () => {
    const redacted = redactConfig(defaultConfig()) as ReturnType<typeof defaultConfig>;
    expect(redacted.braze.apiKey).toBeNull();
    expect(redacted.schemaRegistry.password).toBeNull();
    expect(redacted.kafka.sasl).toBeNull();
    expect(redacted).toEqual(defaultConfig());
  });

  it('does not change the config it is given', async () => {
    const config = await loadConfig({ env: { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'braze-key-1' } });
    redactConfig(config);
    expect(config.braze.apiKey).toBe('braze-key-1');
  });
});
