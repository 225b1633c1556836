import type { Random } from './random.js';
import type {
  ActivitySummary, BrazeSandboxProfile, CustomAttributeType, JsonValue, ProfileRef, StoredEvent, StoredPurchase,
  SubscriptionRecord, UserAlias,
} from './types.js';
import { PENDING_SUBSCRIPTION_TTL_MS } from './limits.js';
import { isoAt } from './time.js';
import { emailKey, normalizePhone } from './validators.js';

/** A profile as persisted: the public shape plus the update sequence. */
export type StoredProfile = BrazeSandboxProfile & { seq: number };

/** What few profiles use, in one object made on first use. */
class RareFields {
  email: string | null = null;
  phone: string | null = null;
  total_revenue = 0;
  userAliases: UserAlias[] | undefined = undefined;
  standard: Record<string, JsonValue> | undefined = undefined;
  customEvents: Record<string, ActivitySummary> | undefined = undefined;
  events: StoredEvent[] | undefined = undefined;
  purchases: Record<string, ActivitySummary> | undefined = undefined;
  purchaseHistory: StoredPurchase[] | undefined = undefined;
  subscriptionGroups: Record<string, SubscriptionRecord> | undefined = undefined;
}

/**
 * The stored profile: the public shape plus an update sequence for "most recently updated" ties.
 *
 * Most profiles use few of their fields (an audience sync sets one custom attribute), so maps and lists are made on
 * first use, and the fields most profiles never set live in one object made on first use too: a new profile is
 * one small object rather than ten, which is most of what a /users/track of new users costs in allocation and
 * garbage collection. Reading a field always gives the map or list (empty when unused), or null / 0.
 */
export class ProfileRecord implements BrazeSandboxProfile {
  #brazeId: string;
  /** Set when the braze_id is made on first read (lean mode): the store that makes and indexes it. */
  #ids: ProfileStore | null;
  external_id: string | null = null;
  data_points = 0;
  created_at: string;
  updated_at: string;
  seq: number;
  /** Position in the store's list of every profile. */
  slot = -1;
  #custom: Record<string, JsonValue> | undefined = undefined;
  #types: Record<string, CustomAttributeType> | undefined = undefined;
  #rare: RareFields | undefined = undefined;

  /** `brazeId` '' with `ids`: the id is made by `ids` when first read. */
  constructor(brazeId: string, ids: ProfileStore | null, createdAt: string, seq: number) {
    this.#brazeId = brazeId;
    this.#ids = ids;
    this.created_at = createdAt;
    this.updated_at = createdAt;
    this.seq = seq;
  }

  get braze_id(): string {
    if (this.#brazeId === '' && this.#ids !== null) this.#brazeId = this.#ids.assignBrazeId(this);
    return this.#brazeId;
  }

  /** The braze_id if it was made already, else ''. */
  get assignedBrazeId(): string {
    return this.#brazeId;
  }

  get #more(): RareFields {
    return (this.#rare ??= new RareFields());
  }

  get email(): string | null { return this.#rare === undefined ? null : this.#rare.email; }
  set email(value: string | null) { if (value !== null || this.#rare !== undefined) this.#more.email = value; }
  get phone(): string | null { return this.#rare === undefined ? null : this.#rare.phone; }
  set phone(value: string | null) { if (value !== null || this.#rare !== undefined) this.#more.phone = value; }
  get total_revenue(): number { return this.#rare === undefined ? 0 : this.#rare.total_revenue; }
  set total_revenue(value: number) { if (value !== 0 || this.#rare !== undefined) this.#more.total_revenue = value; }

  get custom_attributes(): Record<string, JsonValue> { return (this.#custom ??= {}); }
  set custom_attributes(value: Record<string, JsonValue>) { this.#custom = value; }
  get custom_attribute_types(): Record<string, CustomAttributeType> { return (this.#types ??= {}); }
  set custom_attribute_types(value: Record<string, CustomAttributeType>) { this.#types = value; }
  get user_aliases(): UserAlias[] { return (this.#more.userAliases ??= []); }
  set user_aliases(value: UserAlias[]) { this.#more.userAliases = value; }
  get standard_attributes(): Record<string, JsonValue> { return (this.#more.standard ??= {}); }
  set standard_attributes(value: Record<string, JsonValue>) { this.#more.standard = value; }
  get custom_events(): Record<string, ActivitySummary> { return (this.#more.customEvents ??= {}); }
  set custom_events(value: Record<string, ActivitySummary>) { this.#more.customEvents = value; }
  get events(): StoredEvent[] { return (this.#more.events ??= []); }
  set events(value: StoredEvent[]) { this.#more.events = value; }
  get purchases(): Record<string, ActivitySummary> { return (this.#more.purchases ??= {}); }
  set purchases(value: Record<string, ActivitySummary>) { this.#more.purchases = value; }
  get purchase_history(): StoredPurchase[] { return (this.#more.purchaseHistory ??= []); }
  set purchase_history(value: StoredPurchase[]) { this.#more.purchaseHistory = value; }
  get subscription_groups(): Record<string, SubscriptionRecord> { return (this.#more.subscriptionGroups ??= {}); }
  set subscription_groups(value: Record<string, SubscriptionRecord>) { this.#more.subscriptionGroups = value; }

  /** The public shape, as a plain object sharing this profile's maps and lists (copy it before handing it out). */
  plain(): BrazeSandboxProfile {
    return {
      braze_id: this.braze_id,
      external_id: this.external_id,
      user_aliases: this.user_aliases,
      email: this.email,
      phone: this.phone,
      standard_attributes: this.standard_attributes,
      custom_attributes: this.custom_attributes,
      custom_attribute_types: this.custom_attribute_types,
      custom_events: this.custom_events,
      events: this.events,
      purchases: this.purchases,
      purchase_history: this.purchase_history,
      total_revenue: this.total_revenue,
      subscription_groups: this.subscription_groups,
      data_points: this.data_points,
      created_at: this.created_at,
      updated_at: this.updated_at,
    };
  }
}

interface PendingState {
  readonly state: 'subscribed' | 'unsubscribed';
  readonly setAtMs: number;
  readonly doubleOptInPending: boolean;
}

/** Two hex digits of every byte value. */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Four hex digits of a uniform draw in [0, 1): its top 16 bits, as `Math.floor(r * 0x10000).toString(16).padStart(4, '0')`. */
const hex4 = (r: number): string => {
  const v = Math.floor(r * 0x10000);
  return HEX2[v >> 8] + HEX2[v & 0xff];
};

const aliasKey = (alias: UserAlias): string => `${alias.alias_label}\u0000${alias.alias_name}`;

/** Oldest-wins for `first`, newest-wins for `last`, counts summed (§6 merge rules). */
function mergeSummary(into: ActivitySummary | undefined, from: ActivitySummary): ActivitySummary {
  if (into === undefined) return { ...from };
  return {
    count: into.count + from.count,
    first: from.first < into.first ? from.first : into.first,
    last: from.last > into.last ? from.last : into.last,
  };
}

export interface SerializedStore {
  readonly version: 1;
  readonly profiles: StoredProfile[];
  readonly pending: [string, [string, PendingState][]][];
}

/**
 * Profiles indexed by every identifier Braze looks up (external_id, braze_id, alias, email,
 * phone), so each request costs O(objects), never O(profiles).
 */
export class ProfileStore {
  /** Every profile in creation order; removed ones leave a hole until the list is compacted. */
  private list: (ProfileRecord | undefined)[] = [];
  private holes = 0;
  /** Every profile whose braze_id was made (all of them unless braze_ids are made on first read). */
  private readonly byBrazeId = new Map<string, ProfileRecord>();
  private readonly byExternalId = new Map<string, ProfileRecord>();
  private readonly byAlias = new Map<string, ProfileRecord>();
  private readonly byEmail = new Map<string, Set<ProfileRecord>>();
  private readonly byPhone = new Map<string, Set<ProfileRecord>>();
  /** Subscription states set for an email or phone no profile has yet (§7), keyed `email:`/`phone:`. */
  private readonly pending = new Map<string, Map<string, PendingState>>();
  private seq = 0;
  /** The seconds part of braze_ids, as hex, for the last second an id was made in. */
  private idSeconds = Number.NaN;
  private idPrefix = '';

  /**
   * `lazyBrazeIds` (lean mode): a profile's braze_id is made when first read (export, inspection), not when the
   * profile is made, so tracking new users costs no id and no braze_id index entry. Ids still follow the seed, in
   * the order they are read.
   */
  constructor(private readonly random: Random, readonly historySize: number, private readonly lazyBrazeIds = false) {}

  get size(): number {
    return this.list.length - this.holes;
  }

  *all(): IterableIterator<ProfileRecord> {
    for (const profile of this.list) if (profile !== undefined) yield profile;
  }

  private add(profile: ProfileRecord): void {
    profile.slot = this.list.length;
    this.list.push(profile);
    const id = profile.assignedBrazeId;
    if (id !== '') this.byBrazeId.set(id, profile);
  }

  /** Makes and indexes the braze_id of a profile created without one. */
  assignBrazeId(profile: ProfileRecord): string {
    const id = this.newBrazeId(Date.parse(profile.created_at));
    this.byBrazeId.set(id, profile);
    return id;
  }

  private newBrazeId(nowMs: number): string {
    // Braze ids look like Mongo ObjectIds: 4 bytes of seconds, then 8 random bytes, as 24 hex digits.
    const seconds = Math.floor(nowMs / 1000);
    if (seconds !== this.idSeconds) {
      this.idSeconds = seconds;
      this.idPrefix = seconds.toString(16).padStart(8, '0').slice(-8);
    }
    for (;;) {
      const id = this.idPrefix + hex4(this.random.next()) + hex4(this.random.next()) + hex4(this.random.next())
        + hex4(this.random.next());
      if (!this.byBrazeId.has(id)) return id;
    }
  }

  create(nowMs: number): ProfileRecord {
    const profile = this.lazyBrazeIds
      ? new ProfileRecord('', this, isoAt(nowMs), ++this.seq)
      : new ProfileRecord(this.newBrazeId(nowMs), null, isoAt(nowMs), ++this.seq);
    this.add(profile);
    return profile;
  }

  touch(profile: ProfileRecord, nowMs: number): void {
    profile.updated_at = isoAt(nowMs);
    profile.seq = ++this.seq;
  }

  // -- lookups ----------------------------------------------------------------------------------

  byExternal(id: string): ProfileRecord | undefined {
    return this.byExternalId.get(id);
  }

  byBraze(id: string): ProfileRecord | undefined {
    return this.byBrazeId.get(id);
  }

  byUserAlias(alias: UserAlias): ProfileRecord | undefined {
    return this.byAlias.get(aliasKey(alias));
  }

  allByEmail(email: string): ProfileRecord[] {
    return [...(this.byEmail.get(emailKey(email)) ?? [])];
  }

  allByPhone(phone: string): ProfileRecord[] {
    const normalized = normalizePhone(phone);
    return normalized === null ? [] : [...(this.byPhone.get(normalized) ?? [])];
  }

  /**
   * §2.2: several profiles sharing an email (or phone): the most recently updated one with an
   * external_id, else the most recently updated one.
   */
  static pick(candidates: readonly ProfileRecord[]): ProfileRecord | undefined {
    let best: ProfileRecord | undefined;
    for (const p of candidates) {
      if (best === undefined) best = p;
      else if ((p.external_id !== null) !== (best.external_id !== null)) {
        if (p.external_id !== null) best = p;
      } else if (p.seq > best.seq) best = p;
    }
    return best;
  }

  find(ref: ProfileRef): ProfileRecord | undefined {
    if ('external_id' in ref) return this.byExternal(ref.external_id);
    if ('braze_id' in ref) return this.byBraze(ref.braze_id);
    if ('user_alias' in ref) return this.byUserAlias(ref.user_alias);
    if ('email' in ref) return ProfileStore.pick(this.allByEmail(ref.email));
    return ProfileStore.pick(this.allByPhone(ref.phone));
  }

  findAll(ref: ProfileRef): ProfileRecord[] {
    if ('email' in ref) return this.allByEmail(ref.email);
    if ('phone' in ref) return this.allByPhone(ref.phone);
    const one = this.find(ref);
    return one === undefined ? [] : [one];
  }

  // -- identifier changes keep the indexes true -------------------------------------------------

  setExternalId(profile: ProfileRecord, id: string): void {
    if (profile.external_id !== null) this.byExternalId.delete(profile.external_id);
    profile.external_id = id;
    this.byExternalId.set(id, profile);
  }

  /** One alias_name per alias_label (§2.2); an alias already owned by another profile is refused. */
  addAlias(profile: ProfileRecord, alias: UserAlias): boolean {
    const key = aliasKey(alias);
    const owner = this.byAlias.get(key);
    if (owner !== undefined) return owner === profile;
    if (profile.user_aliases.some((a) => a.alias_label === alias.alias_label)) return false;
    profile.user_aliases.push({ alias_name: alias.alias_name, alias_label: alias.alias_label });
    this.byAlias.set(key, profile);
    return true;
  }

  setEmail(profile: ProfileRecord, email: string | null, nowMs: number): void {
    if (profile.email !== null) this.unindex(this.byEmail, emailKey(profile.email), profile);
    profile.email = email;
    if (email !== null) {
      this.index(this.byEmail, emailKey(email), profile);
      this.applyPending(profile, `email:${emailKey(email)}`, nowMs);
    }
  }

  /** Stores the normalised number when valid; an unusable number is kept as sent but not indexed. */
  setPhone(profile: ProfileRecord, phone: string | null, nowMs: number): void {
    if (profile.phone !== null) {
      const old = normalizePhone(profile.phone);
      if (old !== null) this.unindex(this.byPhone, old, profile);
    }
    if (phone === null) {
      profile.phone = null;
      return;
    }
    const normalized = normalizePhone(phone);
    profile.phone = normalized ?? phone;
    if (normalized !== null) {
      this.index(this.byPhone, normalized, profile);
      this.applyPending(profile, `phone:${normalized}`, nowMs);
    }
  }

  private index(map: Map<string, Set<ProfileRecord>>, key: string, profile: ProfileRecord): void {
    let set = map.get(key);
    if (set === undefined) {
      set = new Set();
      map.set(key, set);
    }
    set.add(profile);
  }

  private unindex(map: Map<string, Set<ProfileRecord>>, key: string, profile: ProfileRecord): void {
    const set = map.get(key);
    if (set === undefined) return;
    set.delete(profile);
    if (set.size === 0) map.delete(key);
  }

  remove(profile: ProfileRecord): void {
    if (this.list[profile.slot] === profile) {
      this.list[profile.slot] = undefined;
      this.holes += 1;
      if (this.holes > 1024 && this.holes * 2 > this.list.length) this.compact();
    }
    const brazeId = profile.assignedBrazeId;
    if (brazeId !== '' && this.byBrazeId.get(brazeId) === profile) this.byBrazeId.delete(brazeId);
    if (profile.external_id !== null && this.byExternalId.get(profile.external_id) === profile) {
      this.byExternalId.delete(profile.external_id);
    }
    for (const alias of profile.user_aliases) {
      if (this.byAlias.get(aliasKey(alias)) === profile) this.byAlias.delete(aliasKey(alias));
    }
    if (profile.email !== null) this.unindex(this.byEmail, emailKey(profile.email), profile);
    if (profile.phone !== null) {
      const normalized = normalizePhone(profile.phone);
      if (normalized !== null) this.unindex(this.byPhone, normalized, profile);
    }
  }

  // -- subscriptions ----------------------------------------------------------------------------

  setSubscription(
    profile: ProfileRecord, groupId: string, state: 'subscribed' | 'unsubscribed', nowMs: number, doubleOptIn: boolean,
  ): void {
    const record: SubscriptionRecord = {
      // §7: a double opt-in user stays unsubscribed until they confirm.
      state: doubleOptIn && state === 'subscribed' ? 'unsubscribed' : state,
      updated_at: isoAt(nowMs),
    };
    if (doubleOptIn && state === 'subscribed') record.double_opt_in_pending = true;
    profile.subscription_groups[groupId] = record;
    this.touch(profile, nowMs);
  }

  /** §7: a state for an email/phone on no profile is kept (30 days) and applied when one appears. */
  setPendingSubscription(
    kind: 'email' | 'phone', value: string, groupId: string, state: 'subscribed' | 'unsubscribed', nowMs: number,
    doubleOptIn: boolean,
  ): void {
    const key = kind === 'email' ? `email:${emailKey(value)}` : `phone:${normalizePhone(value) ?? value}`;
    let groups = this.pending.get(key);
    if (groups === undefined) {
      groups = new Map();
      this.pending.set(key, groups);
    }
    groups.set(groupId, { state, setAtMs: nowMs, doubleOptInPending: doubleOptIn && state === 'subscribed' });
  }

  pendingSubscription(kind: 'email' | 'phone', value: string, groupId: string, nowMs: number): PendingState | undefined {
    const key = kind === 'email' ? `email:${emailKey(value)}` : `phone:${normalizePhone(value) ?? value}`;
    const pending = this.pending.get(key)?.get(groupId);
    if (pending === undefined || nowMs - pending.setAtMs > PENDING_SUBSCRIPTION_TTL_MS) return undefined;
    return pending;
  }

  /** Confirms a double opt-in started for an email/phone on no profile yet; true when one was pending. */
  confirmPendingSubscription(kind: 'email' | 'phone', value: string, groupId: string, nowMs: number): boolean {
    const pending = this.pendingSubscription(kind, value, groupId, nowMs);
    if (pending === undefined || !pending.doubleOptInPending) return false;
    const key = kind === 'email' ? `email:${emailKey(value)}` : `phone:${normalizePhone(value) ?? value}`;
    this.pending.get(key)?.set(groupId, { state: 'subscribed', setAtMs: nowMs, doubleOptInPending: false });
    return true;
  }

  private applyPending(profile: ProfileRecord, key: string, nowMs: number): void {
    const groups = this.pending.get(key);
    if (groups === undefined) return;
    this.pending.delete(key);
    for (const [groupId, pending] of groups) {
      if (nowMs - pending.setAtMs > PENDING_SUBSCRIPTION_TTL_MS) continue;
      if (profile.subscription_groups[groupId] !== undefined) continue;
      profile.subscription_groups[groupId] = {
        state: pending.doubleOptInPending ? 'unsubscribed' : pending.state,
        updated_at: new Date(pending.setAtMs).toISOString(),
        ...(pending.doubleOptInPending ? { double_opt_in_pending: true } : {}),
      };
    }
  }

  // -- identification (§6) ----------------------------------------------------------------------

  /**
   * Folds an unidentified profile into an identified one: fields present only on `from` move over,
   * event/purchase summaries combine (counts summed, first = min, last = max), histories join,
   * aliases move, then `from` is removed.
   */
  merge(from: ProfileRecord, into: ProfileRecord, nowMs: number): void {
    this.remove(from);
    for (const alias of from.user_aliases) this.addAlias(into, alias);
    if (into.email === null && from.email !== null) this.setEmail(into, from.email, nowMs);
    if (into.phone === null && from.phone !== null) this.setPhone(into, from.phone, nowMs);
    for (const [key, value] of Object.entries(from.standard_attributes)) {
      if (!(key in into.standard_attributes)) into.standard_attributes[key] = value;
    }
    for (const [key, value] of Object.entries(from.custom_attributes)) {
      if (!(key in into.custom_attributes)) {
        into.custom_attributes[key] = value;
        into.custom_attribute_types[key] = from.custom_attribute_types[key];
      }
    }
    for (const [name, summary] of Object.entries(from.custom_events)) {
      into.custom_events[name] = mergeSummary(into.custom_events[name], summary);
    }
    for (const [id, summary] of Object.entries(from.purchases)) {
      into.purchases[id] = mergeSummary(into.purchases[id], summary);
    }
    into.events = [...from.events, ...into.events].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
      .slice(-this.historySize);
    into.purchase_history = [...from.purchase_history, ...into.purchase_history]
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)).slice(-this.historySize);
    into.total_revenue += from.total_revenue;
    for (const [groupId, record] of Object.entries(from.subscription_groups)) {
      if (into.subscription_groups[groupId] === undefined) into.subscription_groups[groupId] = record;
    }
    into.data_points += from.data_points;
    if (from.created_at < into.created_at) into.created_at = from.created_at;
    this.touch(into, nowMs);
  }

  // -- whole-store operations -------------------------------------------------------------------

  private compact(): void {
    const kept = this.list.filter((p): p is ProfileRecord => p !== undefined);
    kept.forEach((p, i) => (p.slot = i));
    this.list = kept;
    this.holes = 0;
  }

  clear(): void {
    this.list = [];
    this.holes = 0;
    this.byBrazeId.clear();
    this.byExternalId.clear();
    this.byAlias.clear();
    this.byEmail.clear();
    this.byPhone.clear();
    this.pending.clear();
    this.seq = 0;
  }

  serialize(): SerializedStore {
    return {
      version: 1,
      profiles: [...this.all()].map((p) => ({ ...p.plain(), seq: p.seq })),
      pending: [...this.pending].map(([key, groups]) => [key, [...groups]]),
    };
  }

  load(data: SerializedStore): void {
    this.clear();
    for (const stored of data.profiles) {
      const profile = new ProfileRecord(stored.braze_id, null, stored.created_at, stored.seq);
      profile.updated_at = stored.updated_at;
      profile.standard_attributes = stored.standard_attributes;
      profile.custom_attributes = stored.custom_attributes;
      profile.custom_attribute_types = stored.custom_attribute_types;
      profile.custom_events = stored.custom_events;
      profile.events = stored.events;
      profile.purchases = stored.purchases;
      profile.purchase_history = stored.purchase_history;
      profile.total_revenue = stored.total_revenue;
      profile.subscription_groups = stored.subscription_groups;
      profile.data_points = stored.data_points;
      this.add(profile);
      if (stored.external_id !== null) this.setExternalId(profile, stored.external_id);
      for (const alias of stored.user_aliases) this.addAlias(profile, alias);
      if (stored.email !== null) this.setEmail(profile, stored.email, 0);
      if (stored.phone !== null) this.setPhone(profile, stored.phone, 0);
      this.seq = Math.max(this.seq, profile.seq);
    }
    for (const [key, groups] of data.pending) this.pending.set(key, new Map(groups));
  }
}

/** A deep copy without internal bookkeeping. */
export function snapshot(profile: ProfileRecord): BrazeSandboxProfile {
  return structuredClone(profile.plain());
}
