import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { MapResult } from '../../../src/core/ops.js';
import { INPUT_TOPIC_KINDS, MAPPERS } from '../../../src/partners/index.js';
import { comparable, FIXTURES_DIR, loadFixtureCases, loadPartnerOptions, PARTNERS } from './load-fixtures.js';

const cases = loadFixtureCases();
const options = loadPartnerOptions();

describe('the mapper registry', () => {
  it('lists every input topic of topics.md once, each with its partner', () => {
    expect([...INPUT_TOPIC_KINDS].sort()).toEqual([
      'actioniq.audience-membership',
      'actioniq.events',
      'actioniq.user-attributes',
      'braze.events',
      'extole.events',
      'komo.submissions',
      'quikly.activations',
      'quikly.delayed',
    ]);
    for (const kind of INPUT_TOPIC_KINDS) expect(kind.startsWith(`${MAPPERS[kind].partner}.`)).toBe(true);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(MAPPERS)).toBe(true);
    expect(Object.isFrozen(INPUT_TOPIC_KINDS)).toBe(true);
  });
});

describe('partner fixtures', () => {
  it('cover every input topic with at least one mapped and one rejected case', () => {
    for (const kind of INPUT_TOPIC_KINDS) {
      const results = cases.filter((c) => c.topic === kind).map((c) => (c.expected.type === 'flow' ? 'ops' : c.expected.type));
      expect(results, kind).toContain('ops');
      expect(results, kind).toContain('invalid');
    }
  });

  it('come in complete input/expected pairs', () => {
    for (const partner of PARTNERS) {
      const files = readdirSync(`${FIXTURES_DIR}${partner}`);
      for (const file of files.filter((f) => f.endsWith('.expected.json') || f.endsWith('.options.json'))) {
        const name = file.replace(/\.(expected|options)\.json$/, '');
        expect(files, `${partner}/${file}`).toContain(`${name}.input.json`);
      }
      for (const c of cases.filter((fixture) => fixture.partner === partner)) {
        expect(INPUT_TOPIC_KINDS, `${partner}/${c.name}`).toContain(c.topic);
      }
    }
  });

  it.each(cases.map((c) => [`${c.partner}/${c.name}`, c] as const))('%s maps to its expected result', (_name, c) => {
    // A flow's transitions are functions: the fixture holds what JSON keeps of it (name, key, first step's ops).
    expect(comparable(MAPPERS[c.topic].map(c.input, c.options, c.outbound))).toStrictEqual(c.expected);
  });
});

/** Values a producer might wrongly put in any field. */
const GARBAGE: readonly unknown[] = [
  undefined, null, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '', ' ', 'x', true, false, [], [1, 'a'], {},
  { nested: { deeper: [] } }, { string: 5 }, { long: 'x' }, 10n ** 30n, new Date(Number.NaN),
];

function isWellFormed(result: MapResult): boolean {
  switch (result.type) {
    case 'ops':
      return Array.isArray(result.ops) && result.ops.length > 0;
    case 'flow':
      return result.flow.start.type === 'ops' && result.flow.start.ops.length > 0 && /^[a-z]+(\.[a-z-]+)+$/.test(result.flow.name);
    case 'skip':
      return /^[a-z][a-z0-9_]*$/.test(result.reason);
    case 'invalid':
      return /^[a-z][a-z0-9_]*$/.test(result.code) && result.detail.length > 0;
  }
}

/** String values of a fixture that are personal data or user ids: no dead-letter detail may quote them. */
function personalValues(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return [];
  const personal = ['email', 'phone', 'first_name', 'last_name', 'external_id', 'braze_id', 'partner_user_id'];
  const record = input as Record<string, unknown>;
  return personal
    .map((field) => record[field])
    .filter((value): value is string => typeof value === 'string' && value.trim().length > 3)
    .flatMap((value) => [value, value.trim().toLowerCase()]);
}

describe('every mapper', () => {
  it.each(INPUT_TOPIC_KINDS.map((kind) => [kind]))('returns a result for any garbage value on %s', (kind) => {
    for (const value of [...GARBAGE, 'a string record', 42, [{}], new Map(), Object.create(null)]) {
      const result = MAPPERS[kind].map(value, options);
      expect(isWellFormed(result)).toBe(true);
      expect(result.type).toBe('invalid');
    }
  });

  it.each(cases.map((c) => [`${c.partner}/${c.name}`, c] as const))(
    'never throws and never quotes personal data when any field of %s is replaced with garbage',
    (_name, c) => {
      if (typeof c.input !== 'object' || c.input === null) return;
      const input = c.input as Record<string, unknown>;
      const secrets = personalValues(input);
      for (const field of Object.keys(input)) {
        for (const garbage of GARBAGE) {
          const result = MAPPERS[c.topic].map({ ...input, [field]: garbage }, c.options, c.outbound);
          expect(isWellFormed(result), `${field} = ${String(garbage)}`).toBe(true);
          if (result.type === 'invalid') {
            for (const secret of secrets) expect(result.detail).not.toContain(secret);
          }
        }
      }
    },
  );

  it.each(cases.map((c) => [`${c.partner}/${c.name}`, c] as const))(
    'returns the same result for %s each time and leaves the input untouched',
    (_name, c) => {
      const before = JSON.stringify(c.input);
      const first = comparable(MAPPERS[c.topic].map(c.input, c.options, c.outbound));
      expect(comparable(MAPPERS[c.topic].map(c.input, c.options, c.outbound))).toEqual(first);
      expect(JSON.stringify(c.input)).toBe(before);
    },
  );
});
