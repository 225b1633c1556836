import type { PartnerDescriptor } from '../partner.js';
import { mapActionIqEvent, mapAudienceMembership, mapUserAttributes } from './mappers.js';

export { ACTIONIQ_SKIP_REASONS, mapActionIqEvent, mapAudienceMembership, mapUserAttributes, membershipAttributeName } from './mappers.js';

export const ACTIONIQ = {
  name: 'actioniq',
  topics: [
    { kind: 'actioniq.audience-membership', configKey: 'actioniqAudienceMembership', map: (value, options) => mapAudienceMembership(value, options.actioniq) },
    { kind: 'actioniq.user-attributes', configKey: 'actioniqUserAttributes', map: (value, options) => mapUserAttributes(value, options.actioniq) },
    { kind: 'actioniq.events', configKey: 'actioniqEvents', map: (value, options) => mapActionIqEvent(value, options.actioniq) },
  ],
} as const satisfies PartnerDescriptor;
