import type { MapResult } from '../../core/ops.js';
import type { PartnerOptions } from '../../core/partner-options.js';
import { mapKomoSubmission } from './mappers.js';

export { KOMO_SKIP_REASONS, mapKomoSubmission } from './mappers.js';

/** Komo's input topics and their mappers, keyed by topic kind. */
export const KOMO_MAPPERS = {
  'komo.submissions': (value: unknown, options: PartnerOptions): MapResult => mapKomoSubmission(value, options.komo),
} as const;
