import { Deque } from './deque.js';
import { TributaryError } from './errors.js';

export interface ScheduledItem<T> {
  /** Increases with every push; the order of items within a key. Items that continue an item share its id. */
  readonly id: number;
  /** Unique, increasing with creation: orders items that share an id. */
  readonly seq: number;
  readonly key: string;
  /** The sink that takes this item. A key's items are handed out in order whatever their lanes. */
  readonly lane: string;
  readonly payload: T;
  /** The attempt this item is on: 1 until its first retry, then 2, ... (retry() adds one). */
  attempt: number;
  /** Not handed out before this instant. 0 for new items. */
  notBeforeMs: number;
  /** Handed out by take() and not landed yet (kept by the scheduler). */
  flying: boolean;
}

/** The caller's answer for one offered item. */
export type Offer = 'accept' | 'reject-key' | 'stop';

interface KeyState<T> {
  readonly key: string;
  /** Waiting items of the key in id order (retried items go back in front). */
  readonly queue: Deque<ScheduledItem<T>>;
  inFlight: number;
  /** Where the key is parked (in the ready list of its head item's lane, or the timer heap). Only idle keys with queued items are parked. */
  place: 'none' | 'ready' | 'timer';
  /** Entries in the ready list and timer heap carry the token current when they were made; a mismatch marks them stale. */
  token: number;
}

interface ReadyEntry<T> {
  readonly st: KeyState<T>;
  readonly token: number;
}

interface TimerEntry<T> {
  readonly dueMs: number;
  readonly st: KeyState<T>;
  readonly token: number;
}

/**
 * Per-user-key FIFO queues (invariant 2): an item is handed out only when no earlier item of its key is in
 * flight or waiting to retry; keys never block one another. Each item names its lane (the sink that takes
 * it); a key whose head item is due waits in the ready list of that lane, so one sink walks only keys it can
 * serve and a user's ops stay in order across sinks.
 *
 * Idle keys with queued items are parked either in a ready FIFO (head due) or in a min-heap by the head's
 * notBeforeMs (head not due). take() promotes due timers and then walks only the ready FIFO, so its cost
 * follows the keys it visits, not the number of keys held. Parked entries are invalidated by token
 * instead of being searched for and removed.
 */
export class KeyScheduler<T> {
  private readonly keys = new Map<string, KeyState<T>>();
  private readonly readyByLane = new Map<string, Deque<ReadyEntry<T>>>();
  private readonly timers = new TimerHeap<T>();
  /** Items handed out and not landed; each carries its own mark (no set to add to and delete from per item). */
  private flyingCount = 0;
  private queuedCount = 0;
  private nextId = 0;
  private nextSeq = 0;
  private nextToken = 0;
  /** Latest `now` seen. Only a hint for parking; every hand-out re-checks against the caller's `now`. */
  private clockMs = 0;

  /** Append `payload` to the queue of `key`, to be taken by `lane`. */
  push(key: string, payload: T, lane = DEFAULT_LANE): ScheduledItem<T> {
    const item: ScheduledItem<T> = { id: ++this.nextId, seq: ++this.nextSeq, key, lane, payload, attempt: 1, notBeforeMs: 0, flying: false };
    let st = this.keys.get(key);
    if (st === undefined) {
      st = { key, queue: new Deque(), inFlight: 0, place: 'none', token: 0 };
      this.keys.set(key, st);
    }
    st.queue.push(item);
    this.queuedCount++;
    if (st.inFlight === 0 && st.queue.length === 1) this.park(st);
    return item;
  }

  /**
   * Walks idle keys whose head item is due, in readiness order. For each, offers its queued items in order:
   * 'accept' puts the item in flight and offers the key's next item (so one user's consecutive ops can ride in
   * one batch, in order); 'reject-key' leaves the item and the rest of its key queued and moves to the next
   * key; 'stop' ends the walk. Items after a not-yet-due item are not offered. A key that accepted nothing
   * keeps its place for the next walk. Returns the accepted items in acceptance order.
   *
   * If `offer` throws, every item accepted in this walk is put back as it was and the error propagates.
   */
  take(now: number, offer: (item: ScheduledItem<T>) => Offer, lane = DEFAULT_LANE): ScheduledItem<T>[] {
    this.observe(now);
    const accepted: ScheduledItem<T>[] = [];
    const walked: ReadyEntry<T>[] = [];
    const ready = this.readyOf(lane);
    let completed = false;
    try {
      walk: while (ready.length > 0) {
        const entry = ready.shift() as ReadyEntry<T>;
        if (!this.isLiveReady(entry)) continue;
        const st = entry.st;
        const head = st.queue.peek() as ScheduledItem<T>;
        if (head.notBeforeMs > now) {
          // Only when the caller's clock stepped back: the key waits in the heap instead.
          this.toTimer(st);
          continue;
        }
        if (head.lane !== lane) {
          this.toReady(st);
          continue;
        }
        walked.push(entry);
        for (;;) {
          const item = st.queue.peek();
          // The key's next item goes to another sink: it waits until this lane's items of the key land.
          if (item === undefined || item.notBeforeMs > now || item.lane !== lane) break;
          const verdict = offer(item);
          if (verdict === 'accept') {
            st.queue.shift();
            st.inFlight++;
            item.flying = true;
            this.flyingCount++;
            this.queuedCount--;
            accepted.push(item);
            continue;
          }
          if (verdict === 'stop') break walk;
          break;
        }
      }
      completed = true;
    } finally {
      if (!completed) this.rollBack(accepted);
      const kept: ReadyEntry<T>[] = [];
      for (const entry of walked) {
        if (entry.st.inFlight > 0) entry.st.place = 'none';
        else kept.push(entry);
      }
      ready.prependAll(kept);
    }
    return accepted;
  }

  /** Hold a queued item (and every later item of its key) until `notBeforeMs`. */
  delay(item: ScheduledItem<T>, notBeforeMs: number): void {
    if (notBeforeMs <= item.notBeforeMs) return;
    item.notBeforeMs = notBeforeMs;
    const st = this.keys.get(item.key);
    if (st && st.inFlight === 0 && st.queue.peek() === item) this.park(st);
  }

  /** Finish an in-flight item (delivered, dead-lettered or dropped). */
  complete(item: ScheduledItem<T>): void {
    const st = this.land(item, 'complete');
    this.afterLanding(st);
  }

  /**
   * Put an in-flight item back in front of its key's queue, due at `notBeforeMs`, attempt + 1. Nothing
   * queued behind it is offered before it. Items of one batch may be retried in any order: they go back in
   * their original order.
   */
  retry(item: ScheduledItem<T>, notBeforeMs: number, countAttempt = true): void {
    const st = this.land(item, 'retry');
    if (countAttempt) item.attempt += 1;
    item.notBeforeMs = notBeforeMs;
    let at = 0;
    while (at < st.queue.length && precedes(st.queue.at(at) as ScheduledItem<T>, item)) at++;
    st.queue.insert(at, item);
    this.queuedCount++;
    this.afterLanding(st);
  }

  /**
   * Finish an in-flight item and put `next` in its place: ahead of every later item of its key, in the given
   * order (the next step of a flow). Returns the new items.
   */
  continueWith(item: ScheduledItem<T>, next: ReadonlyArray<{ readonly payload: T; readonly lane: string }>): ScheduledItem<T>[] {
    const st = this.land(item, 'continue');
    let at = 0;
    while (at < st.queue.length && precedes(st.queue.at(at) as ScheduledItem<T>, item)) at++;
    const created: ScheduledItem<T>[] = [];
    for (const n of next) {
      const child: ScheduledItem<T> = { id: item.id, seq: ++this.nextSeq, key: item.key, lane: n.lane, payload: n.payload, attempt: 1, notBeforeMs: 0, flying: false };
      st.queue.insert(at++, child);
      this.queuedCount++;
      created.push(child);
    }
    this.afterLanding(st);
    return created;
  }

  /** Items waiting, including those waiting to retry. */
  get queued(): number {
    return this.queuedCount;
  }

  get inFlight(): number {
    return this.flyingCount;
  }

  get size(): number {
    return this.queuedCount + this.flyingCount;
  }

  /** User keys holding queued or in-flight items. */
  get keyCount(): number {
    return this.keys.size;
  }

  /**
   * Earliest notBeforeMs among idle keys' heads that are not due at `now`, or null. Lets the caller sleep precisely.
   * Like take() and hasReady(), it first moves keys due by `now` to the ready lists: ask with the instant the
   * lanes were walked at, or a key falling due in between is ready with nobody told.
   */
  nextDueMs(now: number): number | null {
    this.observe(now);
    for (;;) {
      const top = this.timers.peek();
      if (top === undefined) return null;
      if (this.isLiveTimer(top)) return top.dueMs;
      this.timers.pop();
    }
  }

  /** True when some idle key has a due head item in `lane`. */
  hasReady(now: number, lane = DEFAULT_LANE): boolean {
    this.observe(now);
    const ready = this.readyOf(lane);
    for (;;) {
      const entry = ready.peek();
      if (entry === undefined) return false;
      if (!this.isLiveReady(entry)) {
        ready.shift();
        continue;
      }
      if ((entry.st.queue.peek() as ScheduledItem<T>).notBeforeMs <= now) return true;
      ready.shift();
      this.toTimer(entry.st);
    }
  }

  private readyOf(lane: string): Deque<ReadyEntry<T>> {
    let ready = this.readyByLane.get(lane);
    if (ready === undefined) {
      ready = new Deque();
      this.readyByLane.set(lane, ready);
    }
    return ready;
  }

  /** Remove every queued item whose payload matches (e.g. ops of a revoked partition) and return the payloads. In-flight items are untouched. */
  removeQueued(predicate: (payload: T) => boolean): T[] {
    const removed: T[] = [];
    for (const st of this.keys.values()) {
      if (st.queue.length === 0) continue;
      const oldHead = st.queue.peek();
      const gone = st.queue.removeWhere((item) => predicate(item.payload));
      if (gone.length === 0) continue;
      for (const item of gone) removed.push(item.payload);
      this.queuedCount -= gone.length;
      if (st.inFlight > 0) continue;
      if (st.queue.length === 0) {
        this.forget(st);
        continue;
      }
      const newHead = st.queue.peek() as ScheduledItem<T>;
      const keepsPlace = st.place === 'ready' && newHead.notBeforeMs <= this.clockMs && newHead.lane === (oldHead as ScheduledItem<T>).lane;
      if (newHead !== oldHead && !keepsPlace) this.park(st);
    }
    return removed;
  }

  private observe(now: number): void {
    if (now > this.clockMs) this.clockMs = now;
    // Promote every key whose head became due, earliest first, behind the keys already ready.
    for (;;) {
      const top = this.timers.peek();
      if (top === undefined) break;
      if (!this.isLiveTimer(top)) {
        this.timers.pop();
        continue;
      }
      if (top.dueMs > now) break;
      this.timers.pop();
      this.toReady(top.st);
    }
  }

  /** Precondition: the key is idle and has queued items. */
  private park(st: KeyState<T>): void {
    const head = st.queue.peek() as ScheduledItem<T>;
    if (head.notBeforeMs <= this.clockMs) this.toReady(st);
    else this.toTimer(st);
  }

  private toTimer(st: KeyState<T>): void {
    st.token = ++this.nextToken;
    st.place = 'timer';
    this.timers.push({ dueMs: (st.queue.peek() as ScheduledItem<T>).notBeforeMs, st, token: st.token });
  }

  private toReady(st: KeyState<T>): void {
    st.token = ++this.nextToken;
    st.place = 'ready';
    this.readyOf((st.queue.peek() as ScheduledItem<T>).lane).push({ st, token: st.token });
  }

  private forget(st: KeyState<T>): void {
    st.place = 'none';
    st.token = ++this.nextToken;
    this.keys.delete(st.key);
  }

  private isLiveReady(entry: ReadyEntry<T>): boolean {
    return entry.st.place === 'ready' && entry.token === entry.st.token;
  }

  private isLiveTimer(entry: TimerEntry<T>): boolean {
    return entry.st.place === 'timer' && entry.token === entry.st.token;
  }

  private land(item: ScheduledItem<T>, action: string): KeyState<T> {
    if (!item.flying) {
      throw new TributaryError('scheduler_item_not_in_flight', `${action}: item ${item.id} is not in flight`);
    }
    item.flying = false;
    this.flyingCount--;
    const st = this.keys.get(item.key) as KeyState<T>;
    st.inFlight--;
    return st;
  }

  private afterLanding(st: KeyState<T>): void {
    if (st.inFlight > 0) return;
    if (st.queue.length === 0) this.forget(st);
    else this.park(st);
  }

  private rollBack(accepted: readonly ScheduledItem<T>[]): void {
    for (let i = accepted.length - 1; i >= 0; i--) {
      const item = accepted[i];
      const st = this.keys.get(item.key) as KeyState<T>;
      item.flying = false;
      this.flyingCount--;
      st.inFlight--;
      st.queue.unshift(item);
      this.queuedCount++;
    }
  }
}

/** The lane of items pushed without one. */
export const DEFAULT_LANE = 'default';

/** Whether `a` comes before `b` in their key's order. */
function precedes<T>(a: ScheduledItem<T>, b: ScheduledItem<T>): boolean {
  return a.id < b.id || (a.id === b.id && a.seq < b.seq);
}

/** Binary min-heap on dueMs, ties broken by token (so by parking order). */
class TimerHeap<T> {
  private readonly heap: TimerEntry<T>[] = [];

  peek(): TimerEntry<T> | undefined {
    return this.heap[0];
  }

  push(entry: TimerEntry<T>): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  pop(): TimerEntry<T> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before<T>(a: TimerEntry<T>, b: TimerEntry<T>): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.token < b.token);
}
