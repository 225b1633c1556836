import type { MapResult } from '../../core/ops.js';
import type { PartnerOptions } from '../../core/partner-options.js';
import { mapExtoleEvent } from './mappers.js';

export {
  EXTOLE_PARTNER_NAME, EXTOLE_SKIP_REASONS, EXTOLE_UNSUBSCRIBED_EVENT, extoleUser, mapExtoleEvent, rewardEventName,
} from './mappers.js';

/** Extole's input topics and their mappers, keyed by topic kind. */
export const EXTOLE_MAPPERS = {
  'extole.events': (value: unknown, options: PartnerOptions): MapResult => mapExtoleEvent(value, options.extole),
} as const;
