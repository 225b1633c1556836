import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatPath } from '../../../src/config/config-tree.js';
import { defaultConfig, loadConfig } from '../../../src/config/index.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/tributary.yaml', import.meta.url));
const DOCS = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));

/** Key paths of every setting, as the docs write them; Komo hubs and each rate limit count as one setting. */
function settingPaths(tree: unknown, prefix: string[] = []): string[] {
  const whole = prefix.join('.') === 'partners.komo.hubs' || (prefix.length === 3 && prefix[1] === 'rateLimits');
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree) || whole) return [formatPath(prefix)];
  return Object.entries(tree).flatMap(([key, value]) => settingPaths(value, [...prefix, key]));
}

describe('the example config file', () => {
  it('loads without problems', async () => {
    const config = await loadConfig({ file: EXAMPLE, env: { BRAZE_API_KEY: 'example-key' } });
    expect(config.partners.komo.hubs['summer-giveaway-2024']?.userMatch).toBe('email_alias');
  });

  it('shows every setting, with the default value apart from the Braze endpoint and the sample Komo hub', async () => {
    const example = parse(await readFile(EXAMPLE, 'utf8')) as Record<string, unknown>;
    expect(settingPaths(example).sort()).toEqual(settingPaths(defaultConfig()).sort());
    const config = await loadConfig({ file: EXAMPLE, env: {}, requireBraze: false });
    expect({ ...config, braze: { ...config.braze, restEndpoint: null }, partners: { ...config.partners, komo: { hubs: {} } } }).toEqual(defaultConfig());
  });
});

describe('docs/configuration.md', () => {
  it('documents every setting', async () => {
    const docs = await readFile(DOCS, 'utf8');
    const missing = settingPaths(defaultConfig()).filter((path) => !docs.includes(`\`${path}\``));
    expect(missing).toEqual([]);
  });
});
