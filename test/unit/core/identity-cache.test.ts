import { describe, expect, it } from 'vitest';
import { IdentityCache } from '../../../src/core/identity-cache.js';
import { chooseProfile } from '../../../src/core/sinks/users-export-ids.js';

const found = (id: string) => ({ found: true as const, user: { external_id: id }, profiles: 1 });

describe('IdentityCache', () => {
  it('trusts a found profile and a "not found" each for its own time', () => {
    const cache = new IdentityCache({ maxEntries: 10, foundTtlMs: 1000, notFoundTtlMs: 100 });
    cache.set('a@x.co', found('a'), 0);
    cache.set('b@x.co', { found: false }, 0);
    expect(cache.get('a@x.co', 999)).toEqual(found('a'));
    expect(cache.get('b@x.co', 99)).toEqual({ found: false });
    expect(cache.get('b@x.co', 100)).toBeNull();
    expect(cache.get('a@x.co', 1000)).toBeNull();
  });

  it('forgets the least recently used email first', () => {
    const cache = new IdentityCache({ maxEntries: 2, foundTtlMs: 1000, notFoundTtlMs: 1000 });
    cache.set('a', found('a'), 0);
    cache.set('b', found('b'), 0);
    cache.get('a', 1);
    cache.set('c', found('c'), 2);
    expect([cache.get('a', 3), cache.get('b', 3), cache.get('c', 3)]).toEqual([found('a'), null, found('c')]);
    expect(cache.size).toBe(2);
  });

  it('remembers nothing with no room', () => {
    const cache = new IdentityCache({ maxEntries: 0, foundTtlMs: 1000, notFoundTtlMs: 1000 });
    cache.set('a', found('a'), 0);
    expect(cache.get('a', 0)).toBeNull();
  });
});

describe('chooseProfile', () => {
  it('prefers a profile with an external id, then the email alias of the address, then the first by braze_id', () => {
    const alias = { alias_name: 'a@x.co', alias_label: 'email' };
    expect(chooseProfile([{ braze_id: 'b1' }, { braze_id: 'b2', user_aliases: [alias] }, { external_id: 'e1' }], 'a@x.co')).toEqual({ found: true, user: { external_id: 'e1' }, profiles: 3 });
    expect(chooseProfile([{ braze_id: 'b1' }, { braze_id: 'b2', user_aliases: [alias] }], 'a@x.co')).toEqual({ found: true, user: { user_alias: alias }, profiles: 2 });
    expect(chooseProfile([{ braze_id: 'b1', user_aliases: [{ alias_name: 'other@x.co', alias_label: 'email' }] }], 'a@x.co')).toEqual({ found: true, user: { braze_id: 'b1' }, profiles: 1 });
    expect(chooseProfile([], 'a@x.co')).toEqual({ found: false });
    expect(chooseProfile([{}, null, 'junk'], 'a@x.co')).toEqual({ found: false });
  });
});
