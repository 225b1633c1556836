import type { PartnerDescriptor } from '../partner.js';
import { mapKomoSubmission } from './mappers.js';

export { KOMO_SKIP_REASONS, mapKomoSubmission } from './mappers.js';

export const KOMO = {
  name: 'komo',
  topics: [{ kind: 'komo.submissions', configKey: 'komoSubmissions', map: (value, options) => mapKomoSubmission(value, options.komo) }],
} as const satisfies PartnerDescriptor;
