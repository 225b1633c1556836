import { describe, expect, it } from 'vitest';
import { showValue } from '../../../src/config/problem.js';

describe('values shown in configuration problems', () => {
  it('mask credentials and query strings, where people paste secrets', () => {
    expect(showValue(['braze', 'restEndpoint'], 'https://rest.iad-01.braze.com/?api_key=s3cret')).toBe('"https://rest.iad-01.braze.com/?***"');
    expect(showValue(['schemaRegistry', 'url'], 'https://user:pw@registry:8081')).toBe('"https://***@registry:8081"');
    expect(showValue(['kafka', 'brokers', 0], 'user:s3cret@broker-1:9092')).toBe('"***@broker-1:9092"');
    expect(showValue(['kafka', 'brokers', 0], 'broker-1')).toBe('"broker-1"');
  });
});
