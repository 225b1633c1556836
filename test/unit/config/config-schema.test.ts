import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA } from '../../../src/config/index.js';
import { EXTOLE_REWARD_STATES } from '../../../src/partners/options.js';

const SCHEMA_FILE = new URL('../../../schemas/tributary-config.schema.json', import.meta.url);

type Node = Record<string, unknown>;

/** Every property schema in the tree, with its key path, so rules can be checked for all of them. */
function properties(schema: Node, path: string[] = []): { path: string; schema: Node }[] {
  const found: { path: string; schema: Node }[] = [];
  for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Node>)) {
    found.push({ path: [...path, key].join('.'), schema: child }, ...properties(child, [...path, key]));
  }
  if (typeof schema.additionalProperties === 'object') {
    found.push(...properties(schema.additionalProperties as Node, [...path, '*']));
  }
  return found;
}

describe('the config JSON Schema', () => {
  it('is written out to schemas/tributary-config.schema.json exactly (run vitest with -u after changing it)', async () => {
    await expect(`${JSON.stringify(CONFIG_SCHEMA, null, 2)}\n`).toMatchFileSnapshot(SCHEMA_FILE.pathname);
  });

  it('describes every property, so editors can show the documentation', () => {
    const undocumented = properties(CONFIG_SCHEMA as Node).filter(({ schema }) => typeof schema.description !== 'string');
    expect(undocumented.map(({ path }) => path)).toEqual([]);
  });

  it('rejects unknown keys in every object', () => {
    const open = properties(CONFIG_SCHEMA as Node)
      .filter(({ schema }) => schema.properties !== undefined && schema.additionalProperties !== false);
    expect(open.map(({ path }) => path)).toEqual([]);
    expect((CONFIG_SCHEMA as Node).additionalProperties).toBe(false);
  });

  it('offers exactly the Extole reward states the mapper knows', () => {
    const rewardStates = properties(CONFIG_SCHEMA as Node).find(({ path }) => path === 'partners.extole.rewardStates')!;
    expect((rewardStates.schema.items as Node).enum).toEqual([...EXTOLE_REWARD_STATES]);
  });
});
