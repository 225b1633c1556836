import type { PartnerDescriptor } from '../partner.js';
import { mapActionIqEvent, mapAudienceMembership, mapUserAttributes } from './mappers.js';
import { ACTIONIQ_DEFAULTS, ACTIONIQ_OPTIONS_SCHEMA } from './options.js';

export { ACTIONIQ_SKIP_REASONS, mapActionIqEvent, mapAudienceMembership, mapUserAttributes, membershipAttributeName } from './mappers.js';

export const ACTIONIQ = {
  name: 'actioniq',
  topics: [
    { kind: 'actioniq.audience-membership', configKey: 'actioniqAudienceMembership', map: (value, options) => mapAudienceMembership(value, options.actioniq) },
    { kind: 'actioniq.user-attributes', configKey: 'actioniqUserAttributes', map: (value, options) => mapUserAttributes(value, options.actioniq) },
    { kind: 'actioniq.events', configKey: 'actioniqEvents', map: (value, options) => mapActionIqEvent(value, options.actioniq) },
  ],
  options: { schema: ACTIONIQ_OPTIONS_SCHEMA, defaults: ACTIONIQ_DEFAULTS },
} as const satisfies PartnerDescriptor;
