import type { Clock } from '../../src/core/ports.js';

/** A clock that moves only when told: timers fire in due order during advance(). */
export class FakeClock implements Clock {
  private nowMs = 1_700_000_000_000;
  private timers: Array<{ at: number; seq: number; fn: () => void; cancelled: boolean }> = [];
  private seq = 0;

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.nowMs + Math.max(0, ms), seq: ++this.seq, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Timers not cancelled and not fired yet. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const until = this.nowMs + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.nowMs = Math.max(this.nowMs, due.at);
      due.cancelled = true;
      due.fn();
    }
    this.nowMs = until;
    this.timers = this.timers.filter((t) => !t.cancelled);
    await settle();
  }
}

/** Lets every queued promise callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
