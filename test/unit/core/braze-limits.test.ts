import { describe, it, expect } from 'vitest';
import {
  DEFAULT_RATE_LIMITS,
  EXPORT_IDS_MAX_IDS,
  EXTERNAL_ID_MAX_BYTES,
  STRING_MAX_CHARS,
  SUBSCRIPTION_SET_MAX_IDS,
  TRACK_MAX_OBJECTS_COMBINED,
  TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY,
  endpointGroupOf,
} from '../../../src/core/braze-limits.js';

describe('Braze limits', () => {
  it('states the documented per-request and field limits', () => {
    expect(TRACK_MAX_OBJECTS_COMBINED).toBe(75);
    expect(TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY).toBe(75);
    expect(EXTERNAL_ID_MAX_BYTES).toBe(987);
    expect(STRING_MAX_CHARS).toBe(255);
    expect(EXPORT_IDS_MAX_IDS).toBe(50);
    expect(SUBSCRIPTION_SET_MAX_IDS).toBe(50);
  });

  it('states the documented rate limit of every endpoint group', () => {
    expect(DEFAULT_RATE_LIMITS).toEqual({
      'users.track': { limit: 3000, windowMs: 3000 },
      'users.export.ids': { limit: 250, windowMs: 60_000 },
      'users.alias': { limit: 20_000, windowMs: 60_000 },
      'subscription.set': { limit: 5000, windowMs: 60_000 },
      default: { limit: 250_000, windowMs: 3_600_000 },
    });
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(DEFAULT_RATE_LIMITS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_RATE_LIMITS['users.track'])).toBe(true);
  });
});

describe('endpointGroupOf', () => {
  it.each([
    ['/users/track', 'users.track'],
    ['/users/export/ids', 'users.export.ids'],
    ['/users/alias/new', 'users.alias'],
    ['/users/alias/update', 'users.alias'],
    ['/users/identify', 'users.alias'],
    ['/users/delete', 'users.alias'],
    ['/users/merge', 'users.alias'],
    ['/subscription/status/set', 'subscription.set'],
    ['/v2/subscription/status/set', 'subscription.set'],
    ['/subscription/status/get', 'default'],
    ['/subscription/user/status', 'default'],
    ['/email/status', 'default'],
  ] as const)('puts %s in the %s pool', (path, group) => {
    expect(endpointGroupOf(path)).toBe(group);
  });

  it('ignores the host, the query string, a trailing slash and letter case', () => {
    expect(endpointGroupOf('https://rest.iad-01.braze.com/users/track')).toBe('users.track');
    expect(endpointGroupOf('/subscription/status/set?x=1')).toBe('subscription.set');
    expect(endpointGroupOf('/users/track/')).toBe('users.track');
    expect(endpointGroupOf('/Users/Track')).toBe('users.track');
    expect(endpointGroupOf('users/track')).toBe('users.track');
  });

  it('does not mistake a longer path for one it prefixes', () => {
    expect(endpointGroupOf('/users/track/sync')).toBe('default');
    expect(endpointGroupOf('/users/export/ids/more')).toBe('default');
  });
});
