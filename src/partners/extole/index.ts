import type { PartnerDescriptor } from '../partner.js';
import { mapExtoleEvent } from './mappers.js';
import { EXTOLE_DEFAULTS, EXTOLE_OPTIONS_SCHEMA } from './options.js';

export {
  EXTOLE_LOOKUP_FLOW, EXTOLE_PARTNER_NAME, EXTOLE_SKIP_REASONS, EXTOLE_UNSUBSCRIBED_EVENT, extoleUser, mapExtoleEvent, rewardEventName,
} from './mappers.js';

export const EXTOLE = {
  name: 'extole',
  topics: [{ kind: 'extole.events', configKey: 'extoleEvents', map: (value, options) => mapExtoleEvent(value, options.extole) }],
  options: { schema: EXTOLE_OPTIONS_SCHEMA, defaults: EXTOLE_DEFAULTS },
} as const satisfies PartnerDescriptor;
