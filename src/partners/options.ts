import type { ActionIqOptions } from './actioniq/options.js';
import type { ExtoleOptions } from './extole/options.js';
import type { KomoOptions } from './komo/options.js';
import type { QuiklyOptions } from './quikly/options.js';

export type { ActionIqOptions } from './actioniq/options.js';
export { EXTOLE_REWARD_STATES, type ExtoleOptions, type ExtoleRewardState } from './extole/options.js';
export type { KomoHubOptions, KomoOptions, KomoUserMatch } from './komo/options.js';
export type { QuiklyDoubleOptInOptions, QuiklyOptions } from './quikly/options.js';

/** Every partner's options, under `partners` in the configuration. */
export interface PartnerOptions {
  readonly actioniq: ActionIqOptions;
  readonly extole: ExtoleOptions;
  readonly komo: KomoOptions;
  readonly quikly: QuiklyOptions;
}
