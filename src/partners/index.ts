import type { MapResult } from '../core/ops.js';
import type { PartnerOptions } from '../core/partner-options.js';
import { ACTIONIQ_MAPPERS } from './actioniq/index.js';
import { EXTOLE_MAPPERS } from './extole/index.js';
import { KOMO_MAPPERS } from './komo/index.js';

/** The input topics tributary maps into Braze, by their default names (topics.md). */
export type InputTopicKind =
  | 'actioniq.audience-membership'
  | 'actioniq.user-attributes'
  | 'actioniq.events'
  | 'extole.events'
  | 'komo.submissions';

export type PartnerName = 'actioniq' | 'extole' | 'komo';

/** A pure, total mapping of one decoded record value: ops, skip or invalid; never throws on bad data. */
export type Mapper = (value: unknown, options: PartnerOptions) => MapResult;

export const MAPPERS: Readonly<Record<InputTopicKind, { readonly partner: PartnerName; readonly map: Mapper }>> =
  Object.freeze({
    'actioniq.audience-membership': { partner: 'actioniq', map: ACTIONIQ_MAPPERS['actioniq.audience-membership'] },
    'actioniq.user-attributes': { partner: 'actioniq', map: ACTIONIQ_MAPPERS['actioniq.user-attributes'] },
    'actioniq.events': { partner: 'actioniq', map: ACTIONIQ_MAPPERS['actioniq.events'] },
    'extole.events': { partner: 'extole', map: EXTOLE_MAPPERS['extole.events'] },
    'komo.submissions': { partner: 'komo', map: KOMO_MAPPERS['komo.submissions'] },
  });

export const INPUT_TOPIC_KINDS: readonly InputTopicKind[] = Object.freeze(
  Object.keys(MAPPERS) as InputTopicKind[],
);
