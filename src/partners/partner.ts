import type { MapResult } from '../core/ops.js';
import type { PartnerOptions } from './options.js';
import type { OutboundMapOptions } from './braze-events/options.js';

/**
 * A pure, total mapping of one decoded record value: ops, a flow, skip or invalid; never throws on bad data.
 * `outbound` is read only by the outbound direction (`braze.events`).
 */
export type Mapper = (value: unknown, options: PartnerOptions, outbound?: OutboundMapOptions) => MapResult;

/** One input topic a partner reads. */
export interface PartnerTopic {
  /** The topic's kind: its default name in topics.md, which also names its fixtures. */
  readonly kind: string;
  /** Its key under `topics` in the configuration (where its name is set and `topics.consume` lists it). */
  readonly configKey: string;
  readonly map: Mapper;
}

/** Whatever reads input topics: a partner, or the outbound direction (whose options are not under `partners`). */
export interface TopicOwner {
  readonly name: string;
  readonly topics: readonly PartnerTopic[];
}

/**
 * Everything tributary needs to know about a partner: adding one is a folder and a line in partners/index.ts.
 * `name` is also its key under `partners` in the configuration.
 */
export interface PartnerDescriptor {
  readonly name: string;
  readonly topics: readonly PartnerTopic[];
  /** Its options: the JSON Schema of `partners.<name>` (with defaults) and the default values. */
  readonly options: { readonly schema: object; readonly defaults: object };
}
