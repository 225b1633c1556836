import { describe, expect, it } from 'vitest';
import { readEnvConfig } from '../../../src/config/read-env-config.js';

describe('readEnvConfig', () => {
  it('ignores variables tributary does not know, and empty ones', () => {
    expect(readEnvConfig({ PATH: '/usr/bin', SCHEMA_REGISTRY_URL: '', BRAZE_API_KEY: undefined }).patch).toEqual({});
    // An empty broker list is kept, so validation refuses it instead of falling back to the default.
    expect(readEnvConfig({ KAFKA_BROKERS: '' }).patch).toEqual({ kafka: { brokers: [] } });
  });

  it('places each variable at its key, parsing lists, ports and "off"', () => {
    const { patch } = readEnvConfig({
      KAFKA_BROKERS: 'a:9092, b:9092',
      KAFKA_SASL_USERNAME: 'svc',
      SCHEMA_REGISTRY_URL: 'OFF',
      TRIBUTARY_METRICS_PORT: '9100',
      BRAZE_API_KEY: ' kept as given ',
    });
    expect(patch).toEqual({
      kafka: { brokers: ['a:9092', 'b:9092'], sasl: { username: 'svc' } },
      schemaRegistry: { url: null },
      observability: { port: 9100 },
      braze: { apiKey: ' kept as given ' },
    });
  });

  it('keeps a port that is not a number as text, for validation to report', () => {
    expect(readEnvConfig({ TRIBUTARY_METRICS_PORT: '9100.5' }).patch).toEqual({ observability: { port: '9100.5' } });
  });

  it('remembers which variable set which key', () => {
    const { sources } = readEnvConfig({ BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com' });
    expect([...sources]).toEqual([[JSON.stringify(['braze', 'restEndpoint']), 'BRAZE_REST_ENDPOINT']]);
  });
});
