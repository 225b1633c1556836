import type { ProfileStore } from './profile-store.js';
import type { BrazeSandboxCounters, JsonValue, SubscriptionChannel, TrackArray } from './types.js';
import { isUuid } from './validators.js';

/** What an endpoint handler sees: the store, the clock, settings, and where to report. */
export interface HandlerContext {
  readonly store: ProfileStore;
  readonly nowMs: number;
  readonly objectLimitMode: 'combined' | 'legacy';
  readonly groups: SubscriptionGroups;
  /** Per custom array attribute cap (default 25). */
  readonly arrayLimits: Readonly<Record<string, number>>;
  readonly counters: LiveCounters;
  /** Silent Braze behaviour worth showing in the request log. */
  readonly warnings: string[];
  /** Scripted per-object errors for /users/track. */
  readonly itemErrors?: readonly { readonly input_array: TrackArray; readonly index: number; readonly type?: string }[];
  /** Custom event name -> SMS group whose double opt-in the event starts. */
  readonly doubleOptInEvents: Readonly<Record<string, string>>;
  /** The parsed query of GET endpoints. */
  readonly query: URLSearchParams;
  /** Keep each event and purchase in the profile's history (off in lean mode; the summaries are always kept). */
  readonly keepHistory: boolean;
}

/** The counters a request updates; the event ages are kept apart (EventAgeHistogram). */
export type LiveCounters = Omit<BrazeSandboxCounters, 'eventAgeMs'>;

export interface HandlerResult {
  readonly status: number;
  readonly body: JsonValue;
  /** /users/track: the `time` (epoch ms) of each accepted event, for the event ages of the counters. */
  readonly eventTimesMs?: readonly number[];
}

export type Handler = (body: JsonValue, ctx: HandlerContext) => HandlerResult;

export const fatal = (status: number, message: string, errors?: readonly string[]): HandlerResult => ({
  status,
  body: errors === undefined || errors.length === 0 ? { message } : { message, errors: [...errors] },
});

/** Known subscription groups and their channels (§7); unknown valid UUIDs count as email groups unless strict. */
export class SubscriptionGroups {
  constructor(private readonly known: ReadonlyMap<string, SubscriptionChannel>, readonly strict: boolean) {}

  /** The group's channel, or null when the id is not a usable group. */
  channel(id: unknown): SubscriptionChannel | null {
    if (!isUuid(id)) return null;
    const known = this.known.get(id.toLowerCase());
    if (known !== undefined) return known;
    return this.strict ? null : 'email';
  }
}
