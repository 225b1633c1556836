import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MapResult } from '../../../src/core/ops.js';
import type { PartnerOptions } from '../../../src/partners/options.js';
import type { InputTopicKind, TopicOwnerName } from '../../../src/partners/index.js';
import type { OutboundMapOptions } from '../../../src/partners/braze-events/options.js';

/**
 * Fixture layout, per partner folder under test/fixtures/partners/<partner>/:
 * - `options.json`: the partner's options slice used by every case;
 * - `<topic suffix>.<case>.input.json`: a record value as a producer writes it (topic `<partner>.<topic suffix>`);
 * - `<topic suffix>.<case>.expected.json`: the MapResult;
 * - `<topic suffix>.<case>.options.json` (optional): fields overriding the partner's options for that case.
 * The `braze` folder (topic braze.events, the outbound direction) holds `outbound` options instead.
 */
export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/partners/', import.meta.url));

export const PARTNERS: readonly TopicOwnerName[] = ['actioniq', 'extole', 'komo', 'quikly', 'braze'];

export interface FixtureCase {
  readonly partner: TopicOwnerName;
  readonly topic: InputTopicKind;
  /** `<topic suffix>.<case>`, unique within the partner. */
  readonly name: string;
  readonly input: unknown;
  readonly expected: MapResult;
  readonly options: PartnerOptions;
  readonly outbound: OutboundMapOptions;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function loadPartnerOptions(): PartnerOptions {
  return {
    actioniq: readJson(`${FIXTURES_DIR}actioniq/options.json`),
    extole: readJson(`${FIXTURES_DIR}extole/options.json`),
    komo: readJson(`${FIXTURES_DIR}komo/options.json`),
    quikly: readJson(`${FIXTURES_DIR}quikly/options.json`),
  } as PartnerOptions;
}

export function loadOutboundOptions(): OutboundMapOptions {
  return readJson(`${FIXTURES_DIR}braze/options.json`) as OutboundMapOptions;
}

export function loadFixtureCases(): FixtureCase[] {
  const defaults = loadPartnerOptions();
  const outbound = loadOutboundOptions();
  return PARTNERS.flatMap((partner) => {
    const dir = `${FIXTURES_DIR}${partner}/`;
    const files = readdirSync(dir);
    return files
      .filter((file) => file.endsWith('.input.json'))
      .sort()
      .map((file): FixtureCase => {
        const name = file.slice(0, -'.input.json'.length);
        const topic = `${partner}.${name.slice(0, name.indexOf('.'))}` as InputTopicKind;
        const override = files.includes(`${name}.options.json`) ? (readJson(`${dir}${name}.options.json`) as object) : {};
        return {
          partner,
          topic,
          name,
          input: readJson(`${dir}${file}`),
          expected: readJson(`${dir}${name}.expected.json`) as MapResult,
          options: partner === 'braze' ? defaults : { ...defaults, [partner]: { ...defaults[partner], ...override } },
          outbound: partner === 'braze' ? { ...outbound, ...override } : outbound,
        };
      });
  });
}

/** What a fixture can hold of a result: a flow's transitions are functions, so a flow is kept as JSON keeps it. */
export function comparable(result: MapResult): unknown {
  return result.type === 'flow' ? JSON.parse(JSON.stringify(result)) : result;
}
