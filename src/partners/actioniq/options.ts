/** ActionIQ's options. Validated and defaulted by src/config; the mappers read them as given. */

export interface ActionIqOptions {
  /** Prefix of the membership attribute: `<prefix>_<audience_id>_<split_id>`. Default `AIQ`. */
  readonly attributePrefix: string;
}
