import type { TopicOwner } from '../partner.js';
import { mapBrazeEvent } from './mappers.js';
import { OUTBOUND_MAP_DEFAULTS } from './options.js';

export { anonymousIdOf, BRAZE_EVENTS_CODES, BRAZE_EVENTS_SKIP_REASONS, looksLikeEmail, looksLikePhone, mapBrazeEvent, normaliseEmail, safeProperties, snakeCase } from './mappers.js';
export { DEFAULT_STRIP_PROPERTIES, OUTBOUND_MAP_DEFAULTS, type OutboundMapOptions, type OutboundRoute, type OutboundDestination, type OutboundMovableInkMapOptions } from './options.js';

/**
 * The outbound direction (Braze -> partners): `braze.events` records routed by `outbound.routes` to Movable
 * Ink and the Quikly webhook. Its options live under `outbound`, not `partners`.
 */
export const BRAZE_EVENTS = {
  name: 'braze',
  topics: [{ kind: 'braze.events', configKey: 'brazeEvents', map: (value, _options, outbound) => mapBrazeEvent(value, outbound ?? OUTBOUND_MAP_DEFAULTS) }],
} as const satisfies TopicOwner;
