import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/index.js';

describe('defaultConfig', () => {
  it('has no Braze endpoint or secrets', () => {
    const config = defaultConfig();
    expect(config.braze.restEndpoint).toBeNull();
    expect(config.braze.apiKey).toBeNull();
    expect(config.kafka.sasl).toBeNull();
    expect(config.schemaRegistry.password).toBeNull();
  });

  it('stays within Braze limits and the documented topic names', () => {
    const config = defaultConfig();
    expect(config.braze.maxObjectsPerRequest).toBe(75);
    expect(config.braze.objectLimitMode).toBe('combined');
    expect(config.braze.rateLimits['users.track']).toEqual({ limit: 3000, windowMs: 3000 });
    expect(config.topics.deadLetter).toBe('tributary.dlq');
    expect(config.topics.consume).toEqual(['actioniqAudienceMembership', 'actioniqUserAttributes', 'actioniqEvents', 'extoleEvents', 'komoSubmissions', 'quiklyActivations']);
    expect(config.topics.quiklyDelayed).toBe('tributary.quikly.delayed');
  });

  it('returns a deep-frozen tree, a new one on each call', () => {
    const first = defaultConfig();
    expect(Object.isFrozen(first.braze.rateLimits.default)).toBe(true);
    expect(Object.isFrozen(first.partners.extole.rewardStates)).toBe(true);
    expect(defaultConfig()).not.toBe(first);
    expect(defaultConfig()).toEqual(first);
  });
});
