import type { MapResult } from '../../core/ops.js';
import type { PartnerOptions } from '../../core/partner-options.js';
import { mapActionIqEvent, mapAudienceMembership, mapUserAttributes } from './mappers.js';

export { ACTIONIQ_SKIP_REASONS, mapActionIqEvent, mapAudienceMembership, mapUserAttributes, membershipAttributeName } from './mappers.js';

/** ActionIQ's input topics and their mappers, keyed by topic kind. */
export const ACTIONIQ_MAPPERS = {
  'actioniq.audience-membership': (value: unknown, options: PartnerOptions): MapResult =>
    mapAudienceMembership(value, options.actioniq),
  'actioniq.user-attributes': (value: unknown, options: PartnerOptions): MapResult =>
    mapUserAttributes(value, options.actioniq),
  'actioniq.events': (value: unknown, options: PartnerOptions): MapResult =>
    mapActionIqEvent(value, options.actioniq),
} as const;
