/**
 * Braze's published limits, as named constants. Every figure comes from docs/reference/braze-api.md
 * (compiled from braze-inc/braze-docs); the section is given beside each one.
 */

/** §2.10: objects per /users/track request, combined across attributes + events + purchases. */
export const TRACK_MAX_OBJECTS_COMBINED = 75;
/** §2.10: legacy rate-limit customers: 75 per array independently. */
export const TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY = 75;
/** §2.2: external_id longer than this many UTF-8 bytes is EXTERNAL_USER_ID_TOO_LARGE. */
export const EXTERNAL_ID_MAX_BYTES = 987;
/** §2.5: custom attribute string values and keys. */
export const STRING_MAX_CHARS = 255;
/** §2.5: default cap of a custom array attribute (raisable per attribute up to 100). */
export const ARRAY_DEFAULT_MAX_LENGTH = 25;
export const ARRAY_MAX_CONFIGURABLE_LENGTH = 100;
/** §2.6: nested object attribute size. */
export const NESTED_OBJECT_MAX_BYTES = 50 * 1024;
/** §2.6: array-of-objects attribute size. */
export const ARRAY_OF_OBJECTS_MAX_BYTES = 100 * 1024;
/** §2.7: event/purchase properties payload containing arrays or objects. */
export const PROPERTIES_MAX_BYTES = 100 * 1024;
/** §2.7: distinct properties per event; extras are dropped. */
export const PROPERTIES_MAX_COUNT = 256;
/** §2.8: purchase quantity. */
export const PURCHASE_MAX_QUANTITY = 100;
/** §2.4: push token device_id length in bytes. */
export const DEVICE_ID_MIN_BYTES = 8;
export const DEVICE_ID_MAX_BYTES = 255;
/** §5: external_ids and user_aliases per /users/export/ids request. */
export const EXPORT_MAX_IDS = 50;
/** §6: aliases per /users/alias/new and /users/identify request. */
export const ALIAS_MAX_PER_REQUEST = 50;
/** §7: ids, emails or phones per list in the subscription endpoints. */
export const SUBSCRIPTION_MAX_IDS = 50;
/** §7: /subscription/user/status page size (default and maximum). */
export const USER_STATUS_MAX_LIMIT = 100;
/** §7: a state set for an email/phone on no profile is kept this long. */
export const PENDING_SUBSCRIPTION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** §5: export summaries cover the last 90 days. */
export const EXPORT_SUMMARY_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;
/** §2.4 / §2.6: time values with a year outside this range are not stored as times. */
export const TIME_MAX_YEAR = 3000;
