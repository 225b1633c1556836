import { fatal, type HandlerContext, type HandlerResult } from './handler-context.js';
import { parseUserAlias } from './identifiers.js';
import { EXPORT_MAX_IDS, EXPORT_SUMMARY_WINDOW_MS } from './limits.js';
import type { ProfileRecord } from './profile-store.js';
import type { ActivitySummary, JsonObject, JsonValue, UserAlias } from './types.js';
import { isPlainObject } from './validators.js';

/** The fields /users/export/ids accepts in `fields_to_export` (§5). Those the sandbox has no data for are simply absent. */
export const EXPORT_FIELDS: ReadonlySet<string> = new Set([
  'apps', 'attributed_campaign', 'attributed_source', 'attributed_adgroup', 'attributed_ad', 'braze_id',
  'campaigns_received', 'canvases_received', 'cards_clicked', 'country', 'created_at', 'custom_attributes',
  'custom_events', 'devices', 'dob', 'email', 'email_subscribe', 'external_id', 'first_name', 'gender',
  'home_city', 'language', 'last_coordinates', 'last_name', 'phone', 'purchases', 'push_subscribe',
  'push_tokens', 'random_bucket', 'time_zone', 'total_revenue', 'uninstalled_at', 'user_aliases',
]);

const STANDARD_EXPORTED = ['first_name', 'last_name', 'dob', 'home_city', 'country', 'language', 'gender', 'time_zone',
  'email_subscribe', 'push_subscribe', 'push_tokens'];

function summaries(map: Record<string, ActivitySummary>, sinceIso: string): JsonValue[] {
  return Object.entries(map)
    .filter(([, s]) => s.last >= sinceIso)
    .map(([name, s]) => ({ name, first: s.first, last: s.last, count: s.count }));
}

/** Random bucket (0..9999) derived from the braze_id so it is stable across calls. */
function randomBucket(brazeId: string): number {
  let hash = 0;
  for (let i = 0; i < brazeId.length; i++) hash = (hash * 31 + brazeId.charCodeAt(i)) >>> 0;
  return hash % 10_000;
}

/** §5: absent fields mean null/empty, so nothing null is sent. */
export function exportProfile(profile: ProfileRecord, fields: ReadonlySet<string>, nowMs: number): JsonObject {
  const out: JsonObject = {};
  const want = (field: string): boolean => fields.has(field);
  if (want('created_at')) out.created_at = profile.created_at;
  if (want('external_id') && profile.external_id !== null) out.external_id = profile.external_id;
  if (want('user_aliases') && profile.user_aliases.length > 0) out.user_aliases = profile.user_aliases.map((a) => ({ ...a }));
  if (want('braze_id')) out.braze_id = profile.braze_id;
  if (want('email') && profile.email !== null) out.email = profile.email;
  if (want('phone') && profile.phone !== null) out.phone = profile.phone;
  for (const key of STANDARD_EXPORTED) {
    const value = profile.standard_attributes[key];
    if (want(key) && value !== undefined && value !== null) out[key] = structuredClone(value);
  }
  const location = profile.standard_attributes.current_location;
  if (want('last_coordinates') && isPlainObject(location)) out.last_coordinates = [location.longitude, location.latitude];
  if (want('random_bucket')) out.random_bucket = randomBucket(profile.braze_id);
  if (want('custom_attributes') && Object.keys(profile.custom_attributes).length > 0) {
    out.custom_attributes = structuredClone(profile.custom_attributes);
  }
  const since = new Date(nowMs - EXPORT_SUMMARY_WINDOW_MS).toISOString();
  if (want('custom_events')) {
    const events = summaries(profile.custom_events, since);
    if (events.length > 0) out.custom_events = events;
  }
  if (want('purchases')) {
    const purchases = summaries(profile.purchases, since);
    if (purchases.length > 0) out.purchases = purchases;
  }
  if (want('total_revenue') && profile.total_revenue !== 0) out.total_revenue = profile.total_revenue;
  return out;
}

const stringList = (value: JsonValue | undefined): string[] | null =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;

/** POST /users/export/ids (§5). */
export function handleUsersExportIds(body: JsonValue, ctx: HandlerContext): HandlerResult {
  if (!isPlainObject(body)) return fatal(400, 'Bad Request', ['the request body must be a JSON object']);
  const problems: string[] = [];
  const externalIds = body.external_ids === undefined ? [] : stringList(body.external_ids);
  if (externalIds === null) problems.push("'external_ids' must be an array of strings");
  let aliases: UserAlias[] = [];
  if (body.user_aliases !== undefined) {
    const parsed = Array.isArray(body.user_aliases) ? body.user_aliases.map(parseUserAlias) : null;
    if (parsed === null || parsed.some((a) => a === null)) problems.push("'user_aliases' must be an array of {alias_name, alias_label}");
    else aliases = parsed as UserAlias[];
  }
  for (const key of ['braze_id', 'device_id', 'email_address', 'phone'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') problems.push(`'${key}' must be a single string`);
  }
  let fields: Set<string> | null = null;
  const rawFields = stringList(body.fields_to_export);
  if (body.fields_to_export === undefined) problems.push("'fields_to_export' is required");
  else if (rawFields === null) problems.push("'fields_to_export' must be an array of strings");
  else {
    const unknown = rawFields.filter((f) => !EXPORT_FIELDS.has(f));
    if (unknown.length > 0) problems.push(`unknown fields_to_export: ${unknown.join(', ')}`);
    fields = new Set(rawFields);
  }
  if (problems.length > 0) return fatal(400, 'Bad Request', problems);
  const ids = externalIds ?? [];
  if (ids.length + aliases.length > EXPORT_MAX_IDS) {
    return fatal(400, 'The max number of external_ids and aliases per request was exceeded');
  }
  const brazeId = body.braze_id as string | undefined;
  const email = body.email_address as string | undefined;
  const phone = body.phone as string | undefined;
  const deviceId = body.device_id as string | undefined;
  if (ids.length === 0 && aliases.length === 0 && brazeId === undefined && email === undefined && phone === undefined && deviceId === undefined) {
    return fatal(400, 'Bad Request', ['one of external_ids, user_aliases, braze_id, device_id, email_address or phone is required']);
  }

  const found: ProfileRecord[] = [];
  const seen = new Set<ProfileRecord>();
  const add = (p: ProfileRecord | undefined): boolean => {
    if (p === undefined) return false;
    if (!seen.has(p)) {
      seen.add(p);
      found.push(p);
    }
    return true;
  };
  const invalid: string[] = [];
  for (const id of ids) if (!add(ctx.store.byExternal(id))) invalid.push(id);
  for (const alias of aliases) add(ctx.store.byUserAlias(alias));
  if (brazeId !== undefined && !add(ctx.store.byBraze(brazeId))) invalid.push(brazeId);
  if (email !== undefined) for (const p of ctx.store.allByEmail(email)) add(p);
  if (phone !== undefined) for (const p of ctx.store.allByPhone(phone)) add(p);
  // The sandbox tracks no devices, so a device_id never matches.

  const response: JsonObject = {
    message: 'success',
    users: found.map((p) => exportProfile(p, fields as Set<string>, ctx.nowMs)),
  };
  if (invalid.length > 0) response.invalid_user_ids = invalid;
  return { status: 201, body: response };
}
