import type { PartnerDescriptor } from '../partner.js';
import { mapQuiklyActivation, mapQuiklyDelayedStep } from './mappers.js';
import { QUIKLY_DEFAULTS, QUIKLY_OPTIONS_SCHEMA } from './options.js';

export { creditOp, mapQuiklyActivation, mapQuiklyDelayedStep, QUIKLY_CODES, QUIKLY_FLOWS, QUIKLY_SKIP_REASONS } from './mappers.js';

export const QUIKLY = {
  name: 'quikly',
  topics: [
    { kind: 'quikly.activations', configKey: 'quiklyActivations', map: (value, options) => mapQuiklyActivation(value, options.quikly) },
    // tributary's own topic: SMS steps handed off until they are due (the subscription wait, double opt-in watching).
    { kind: 'quikly.delayed', configKey: 'quiklyDelayed', map: (value, options) => mapQuiklyDelayedStep(value, options.quikly) },
  ],
  options: { schema: QUIKLY_OPTIONS_SCHEMA, defaults: QUIKLY_DEFAULTS },
} as const satisfies PartnerDescriptor;
