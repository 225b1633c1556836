import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { defaultConfig } from '../../../src/config/index.js';

function leafPaths(value: unknown, prefix = ''): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0 && !prefix.endsWith('hubs') && !/rateLimits\[|rateLimits\.default/.test(prefix)) {
    return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? (/[.\s]/.test(k) ? `${prefix}["${k}"]` : `${prefix}.${k}`) : k));
  }
  return [prefix];
}

describe('the README configuration table', () => {
  it('names every configuration key', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const missing = leafPaths(defaultConfig()).filter((p) => !readme.includes(`\`${p}\``));
    expect(missing).toEqual([]);
  });
});
