import type { SubscriberRef, SubscriptionGetOp, SubscriptionSetOp, SubscriptionStateAnswer } from '../ops.js';
import { verdictOfStatus, type BuiltRequest, type SinkBatch, type SinkPolicy, type Verdict } from '../sink.js';

export const SUBSCRIPTION_STATUS_GET_ENDPOINT = '/subscription/status/get';
export const SUBSCRIPTION_STATUS_SET_ENDPOINT = '/v2/subscription/status/set';

/** Ids per list in one request, for both endpoints (braze-api.md §7). */
export const SUBSCRIPTION_MAX_IDS = 50;
/** Braze does not publish a cap on groups per v2 request (braze-api.md §10); this stays well clear of any. */
export const SUBSCRIPTION_SET_MAX_GROUPS = 10;

type IdKind = 'external_id' | 'email' | 'phone';

function idOf(s: SubscriberRef): { kind: IdKind; id: string } {
  if ('external_id' in s) return { kind: 'external_id', id: s.external_id };
  if ('email' in s) return { kind: 'email', id: s.email };
  return { kind: 'phone', id: s.phone };
}

/**
 * GET /subscription/status/get: one group and one kind of id per request, up to 50 ids. Braze answers
 * `{"status": {"<id>": "Subscribed" | "Unsubscribed" | "Unknown"}}`; an id missing from the answer is unknown.
 */
export function subscriptionStatusGetSink(lingerMs: number): SinkPolicy<SubscriptionGetOp> {
  return {
    endpoint: SUBSCRIPTION_STATUS_GET_ENDPOINT,
    kinds: ['subscription.get'],
    newBatch: <R>(now: number) => new StatusGetBatch<R>(now, lingerMs),
  };
}

class StatusGetBatch<R> implements SinkBatch<SubscriptionGetOp, R> {
  private groupId: string | null = null;
  private kind: IdKind | null = null;
  private readonly items: Array<{ id: string; ref: R }> = [];
  private readonly ids = new Set<string>();

  readonly lingerUntilMs: number;

  constructor(readonly openedAtMs: number, private readonly lingerMs: number) {
    this.lingerUntilMs = openedAtMs + lingerMs;
  }

  get opCount(): number {
    return this.items.length;
  }

  offer(op: SubscriptionGetOp, ref: R) {
    const { kind, id } = idOf(op.subscriber);
    if (this.groupId !== null && (op.groupId !== this.groupId || kind !== this.kind)) return 'reject-key' as const;
    if (!this.ids.has(id) && this.ids.size >= SUBSCRIPTION_MAX_IDS) return 'full' as const;
    this.groupId = op.groupId;
    this.kind = kind;
    this.ids.add(id);
    this.items.push({ id, ref });
    return 'accept' as const;
  }

  isEmpty(): boolean {
    return this.items.length === 0;
  }

  flushReason(now: number) {
    if (this.items.length === 0) return null;
    if (this.ids.size >= SUBSCRIPTION_MAX_IDS) return 'count' as const;
    return now - this.openedAtMs >= this.lingerMs ? ('linger' as const) : null;
  }

  build(): BuiltRequest<R> {
    const ids = [...this.ids];
    const byRef = new Map(this.items.map((it) => [it.ref, it.id]));
    return {
      request: { method: 'GET', path: SUBSCRIPTION_STATUS_GET_ENDPOINT, query: { subscription_group_id: this.groupId!, [this.kind!]: ids } },
      refs: this.items.map((it) => it.ref),
      objects: ids.length,
      read: (response): Verdict<R> =>
        verdictOfStatus(response.status, response.body, () => {
          const status = (response.body as { status?: unknown } | null)?.status;
          const map = typeof status === 'object' && status !== null ? (status as Record<string, unknown>) : {};
          return {
            kind: 'answered',
            resultOf: (ref) => ({ kind: 'delivered', answer: stateOf(map[byRef.get(ref)!]) }),
          };
        }),
    };
  }
}

function stateOf(value: unknown): SubscriptionStateAnswer {
  const v = typeof value === 'string' ? value.toLowerCase() : '';
  return { state: v === 'subscribed' ? 'subscribed' : v === 'unsubscribed' ? 'unsubscribed' : 'unknown' };
}

/**
 * POST /v2/subscription/status/set: ops for the same group, state, id kind and double-opt-in flag merge into
 * one group entry of up to 50 ids; a request carries up to SUBSCRIPTION_SET_MAX_GROUPS entries. Emails and
 * phones never share an entry (Braze refuses that). A 4xx is split by the runner down to the offending op.
 */
export function subscriptionStatusSetSink(lingerMs: number): SinkPolicy<SubscriptionSetOp> {
  return {
    endpoint: SUBSCRIPTION_STATUS_SET_ENDPOINT,
    kinds: ['subscription.set'],
    newBatch: <R>(now: number) => new StatusSetBatch<R>(now, lingerMs),
  };
}

interface GroupEntry<R> {
  readonly groupId: string;
  readonly state: SubscriptionSetOp['state'];
  readonly kind: IdKind;
  readonly doubleOptIn: boolean;
  readonly ids: Set<string>;
  readonly refs: R[];
}

class StatusSetBatch<R> implements SinkBatch<SubscriptionSetOp, R> {
  private readonly entries = new Map<string, GroupEntry<R>>();
  private ops = 0;
  private full = false;

  readonly lingerUntilMs: number;

  constructor(readonly openedAtMs: number, private readonly lingerMs: number) {
    this.lingerUntilMs = openedAtMs + lingerMs;
  }

  get opCount(): number {
    return this.ops;
  }

  offer(op: SubscriptionSetOp, ref: R) {
    const { kind, id } = idOf(op.subscriber);
    const doubleOptIn = op.useDoubleOptIn === true;
    const key = `${op.groupId}\u0000${op.state}\u0000${kind}\u0000${doubleOptIn}`;
    // The same subscriber in two entries of one request (subscribed and unsubscribed) has no defined order.
    for (const [k, e] of this.entries) if (k !== key && e.groupId === op.groupId && e.ids.has(id)) return 'reject-key' as const;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= SUBSCRIPTION_SET_MAX_GROUPS) return this.refuse();
      entry = { groupId: op.groupId, state: op.state, kind, doubleOptIn, ids: new Set(), refs: [] };
      this.entries.set(key, entry);
    } else if (!entry.ids.has(id) && entry.ids.size >= SUBSCRIPTION_MAX_IDS) {
      return this.refuse();
    }
    entry.ids.add(id);
    entry.refs.push(ref);
    this.ops++;
    return 'accept' as const;
  }

  private refuse(): 'full' {
    this.full = true;
    return 'full';
  }

  isEmpty(): boolean {
    return this.ops === 0;
  }

  flushReason(now: number) {
    if (this.ops === 0) return null;
    if (this.full) return 'count' as const;
    return now - this.openedAtMs >= this.lingerMs ? ('linger' as const) : null;
  }

  build(): BuiltRequest<R> {
    const groups = [...this.entries.values()].map((e) => ({
      subscription_group_id: e.groupId,
      subscription_state: e.state,
      [`${e.kind}s`]: [...e.ids],
      ...(e.doubleOptIn ? { use_double_opt_in_logic: true } : {}),
    }));
    const refs = [...this.entries.values()].flatMap((e) => e.refs);
    return {
      request: { method: 'POST', path: SUBSCRIPTION_STATUS_SET_ENDPOINT, body: { subscription_groups: groups } },
      refs,
      objects: [...this.entries.values()].reduce((n, e) => n + e.ids.size, 0),
      read: (response): Verdict<R> =>
        verdictOfStatus(response.status, response.body, () => ({ kind: 'answered', resultOf: () => ({ kind: 'delivered' }) })),
    };
  }
}
