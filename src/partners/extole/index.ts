import type { PartnerDescriptor } from '../partner.js';
import { mapExtoleEvent } from './mappers.js';

export {
  EXTOLE_LOOKUP_FLOW, EXTOLE_PARTNER_NAME, EXTOLE_SKIP_REASONS, EXTOLE_UNSUBSCRIBED_EVENT, extoleUser, mapExtoleEvent, rewardEventName,
} from './mappers.js';

export const EXTOLE = {
  name: 'extole',
  topics: [{ kind: 'extole.events', configKey: 'extoleEvents', map: (value, options) => mapExtoleEvent(value, options.extole) }],
} as const satisfies PartnerDescriptor;
