/**
 * Braze's documented limits, one named constant each, with the page that states it beside it.
 * Everything that sizes a request or paces traffic reads these; no magic numbers elsewhere.
 */

/** Objects per /users/track request across attributes + events + purchases (current default model).
 *  https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ */
export const TRACK_MAX_OBJECTS_COMBINED = 75;

/** Objects per array of a /users/track request for customers on legacy rate limits (so up to 225 per request).
 *  https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ */
export const TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY = 75;

/** An external_id longer than this is rejected with EXTERNAL_USER_ID_TOO_LARGE.
 *  https://www.braze.com/docs/api/endpoints/user_data/post_user_track/ */
export const EXTERNAL_ID_MAX_BYTES = 987;

/** Custom attribute string values, event property strings, product ids, object keys.
 *  https://www.braze.com/docs/user_guide/data/custom_data/custom_attributes/
 *  https://www.braze.com/docs/api/objects_filters/event_object/ */
export const STRING_MAX_CHARS = 255;

/** external_ids / user_aliases per /users/export/ids request.
 *  https://www.braze.com/docs/api/endpoints/export/user_data/post_users_identifier/ */
export const EXPORT_IDS_MAX_IDS = 50;

/** external_ids (and, separately, emails or phones) per /subscription/status/set request.
 *  https://www.braze.com/docs/api/endpoints/subscription_groups/post_update_user_subscription_group_status/ */
export const SUBSCRIPTION_SET_MAX_IDS = 50;

/** Aliases per /users/alias/new and /users/identify request.
 *  https://www.braze.com/docs/api/endpoints/user_data/post_user_alias/ */
export const ALIAS_MAX_ALIASES = 50;

/** Units of one purchase object; Braze records that many separate purchases.
 *  https://www.braze.com/docs/api/objects_filters/purchase_object/ */
export const PURCHASE_MAX_QUANTITY = 100;

/** Rate-limit pools this service spends from. Endpoints sharing a pool share one budget. */
export type BrazeEndpointGroup = 'users.track' | 'users.export.ids' | 'users.alias' | 'subscription.set' | 'default';

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** Per-workspace request budgets. https://www.braze.com/docs/api/api_limits/ */
export const DEFAULT_RATE_LIMITS: Readonly<Record<BrazeEndpointGroup, RateLimit>> = Object.freeze({
  // 3,000 requests per 3 seconds since 28 Oct 2024 (was 50,000/min).
  'users.track': Object.freeze({ limit: 3000, windowMs: 3000 }),
  // 250/min for workspaces onboarded on or after 22 Aug 2024; older ones have 2,500/min, so the lower one is the safe default.
  'users.export.ids': Object.freeze({ limit: 250, windowMs: 60_000 }),
  // /users/alias/new, /users/identify, /users/delete, /users/alias/update, /users/merge share 20,000/min.
  'users.alias': Object.freeze({ limit: 20_000, windowMs: 60_000 }),
  // /subscription/status/set and /v2/subscription/status/set share 5,000/min.
  'subscription.set': Object.freeze({ limit: 5000, windowMs: 60_000 }),
  // Every endpoint without its own limit shares 250,000/hour.
  default: Object.freeze({ limit: 250_000, windowMs: 3_600_000 }),
});

const GROUP_BY_PATH: ReadonlyMap<string, BrazeEndpointGroup> = new Map<string, BrazeEndpointGroup>([
  ['/users/track', 'users.track'],
  ['/users/export/ids', 'users.export.ids'],
  ['/users/alias/new', 'users.alias'],
  ['/users/alias/update', 'users.alias'],
  ['/users/identify', 'users.alias'],
  ['/users/delete', 'users.alias'],
  ['/users/merge', 'users.alias'],
  ['/subscription/status/set', 'subscription.set'],
  ['/v2/subscription/status/set', 'subscription.set'],
]);

/**
 * The rate-limit pool of a Braze REST path. Accepts a bare path or a full URL, ignores the query string,
 * a trailing slash and letter case. Note /users/track/sync and /users/track/bulk have limits of their own
 * that no group here models; they fall to 'default', which this service never relies on for them.
 */
export function endpointGroupOf(path: string): BrazeEndpointGroup {
  let p = path.trim();
  const scheme = p.indexOf('://');
  if (scheme >= 0) {
    const slash = p.indexOf('/', scheme + 3);
    p = slash >= 0 ? p.slice(slash) : '/';
  }
  const cut = p.search(/[?#]/);
  if (cut >= 0) p = p.slice(0, cut);
  p = p.toLowerCase().replace(/\/+$/, '');
  if (!p.startsWith('/')) p = `/${p}`;
  return GROUP_BY_PATH.get(p) ?? 'default';
}
