import type { PartnerOptions } from './options.js';
import type { MapResult } from '../core/ops.js';
import { ACTIONIQ } from './actioniq/index.js';
import { EXTOLE } from './extole/index.js';
import { KOMO } from './komo/index.js';
import { QUIKLY } from './quikly/index.js';
import { BRAZE_EVENTS } from './braze-events/index.js';
import { OUTBOUND_MAP_DEFAULTS, type OutboundMapOptions } from './braze-events/options.js';
import type { Mapper, PartnerTopic } from './partner.js';

export type { Mapper, PartnerDescriptor, PartnerTopic, TopicOwner } from './partner.js';

/** Every partner tributary maps into Braze: one line each. */
export const PARTNERS = [ACTIONIQ, EXTOLE, KOMO, QUIKLY] as const;

/** Everything that reads an input topic: the partners, and the outbound direction (`braze.events`). */
const TOPIC_OWNERS = [...PARTNERS, BRAZE_EVENTS] as const;

type Topics = (typeof TOPIC_OWNERS)[number]['topics'][number];

/** The input topics tributary maps into Braze, by their kinds (`<partner>.<topic>`, mostly their default names in topics.md). */
export type InputTopicKind = Topics['kind'];
export type PartnerName = (typeof PARTNERS)[number]['name'];
/** The partner label of a topic's records in metrics and logs. */
export type TopicOwnerName = (typeof TOPIC_OWNERS)[number]['name'];

const entries = TOPIC_OWNERS.flatMap((p) => p.topics.map((t: PartnerTopic) => [t.kind, { partner: p.name, map: t.map, configKey: t.configKey }] as const));

export const MAPPERS: Readonly<Record<InputTopicKind, { readonly partner: TopicOwnerName; readonly map: Mapper; readonly configKey: string }>> =
  Object.freeze(Object.fromEntries(entries) as Record<InputTopicKind, { partner: TopicOwnerName; map: Mapper; configKey: string }>);

export const INPUT_TOPIC_KINDS: readonly InputTopicKind[] = Object.freeze(Object.keys(MAPPERS) as InputTopicKind[]);

/** Every partner's default options, as `partners` in the configuration; built fresh on each call. */
export function defaultPartnerOptions(): PartnerOptions {
  return Object.fromEntries(PARTNERS.map((p) => [p.name, structuredClone(p.options.defaults)])) as unknown as PartnerOptions;
}

/** The JSON Schema of each partner's options, by partner name (its key under `partners`). */
export const PARTNER_OPTIONS_SCHEMAS: Readonly<Record<PartnerName, object>> = Object.fromEntries(PARTNERS.map((p) => [p.name, p.options.schema])) as Record<PartnerName, object>;

/** The kind of the topic configured under `topics.<configKey>`, or undefined when no partner reads it. */
export function kindOfTopicKey(configKey: string): InputTopicKind | undefined {
  return INPUT_TOPIC_KINDS.find((k) => MAPPERS[k].configKey === configKey);
}

/** A topic's mapper with the partner options bound: what the pipeline calls per record. */
export function topicHandler(
  kind: InputTopicKind,
  options: PartnerOptions,
  outbound: OutboundMapOptions = OUTBOUND_MAP_DEFAULTS,
): { partner: TopicOwnerName; map: (value: unknown) => MapResult } {
  const { partner, map } = MAPPERS[kind];
  return { partner, map: (value) => map(value, options, outbound) };
}
