import type { PartnerDescriptor } from '../partner.js';
import { mapKomoSubmission } from './mappers.js';
import { KOMO_DEFAULTS, KOMO_OPTIONS_SCHEMA } from './options.js';

export { KOMO_SKIP_REASONS, mapKomoSubmission } from './mappers.js';

export const KOMO = {
  name: 'komo',
  topics: [{ kind: 'komo.submissions', configKey: 'komoSubmissions', map: (value, options) => mapKomoSubmission(value, options.komo) }],
  options: { schema: KOMO_OPTIONS_SCHEMA, defaults: KOMO_DEFAULTS },
} as const satisfies PartnerDescriptor;
