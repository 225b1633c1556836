/** Komo's options. Validated and defaulted by src/config; the mapper reads them as given. */

export type KomoUserMatch = 'braze_id' | 'external_id' | 'email_alias' | 'phone_alias';

export interface KomoHubOptions {
  /** How a submission's user is found in Braze. */
  readonly userMatch: KomoUserMatch;
  /** Komo field name -> Braze attribute name. Only these fields are sent. */
  readonly fields: Readonly<Record<string, string>>;
}

export interface KomoOptions {
  /** Per hub id. A submission for a hub that is not listed is dead-lettered. */
  readonly hubs: Readonly<Record<string, KomoHubOptions>>;
}
