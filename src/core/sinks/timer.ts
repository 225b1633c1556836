import type { TimerWaitOp } from '../ops.js';
import type { BuiltRequest, SinkBatch, SinkPolicy } from '../sink.js';

export const TIMER_ENDPOINT = 'timer';

/**
 * Waits: a step that is due later (a delayed record's turn) holds its user's key until then, and only its
 * own. The answer carries the instant the wait ended, the flow's "now".
 */
export function timerSink(): SinkPolicy<TimerWaitOp> {
  return {
    endpoint: TIMER_ENDPOINT,
    kinds: ['timer.wait'],
    newBatch: <R>(now: number) => new WaitBatch<R>(now),
  };
}

class WaitBatch<R> implements SinkBatch<TimerWaitOp, R> {
  private op: TimerWaitOp | null = null;
  private ref: R | null = null;
  readonly lingerUntilMs: number;

  constructor(readonly openedAtMs: number) {
    this.lingerUntilMs = openedAtMs;
  }

  get opCount(): number {
    return this.op === null ? 0 : 1;
  }

  offer(op: TimerWaitOp, ref: R) {
    if (this.op !== null) return 'full' as const;
    this.op = op;
    this.ref = ref;
    return 'accept' as const;
  }

  isEmpty(): boolean {
    return this.op === null;
  }

  flushReason() {
    return this.op === null ? null : ('count' as const);
  }

  build(): BuiltRequest<R> {
    const untilMs = this.op!.untilMs;
    return {
      request: { method: 'WAIT', untilMs },
      refs: [this.ref!],
      objects: 1,
      read: (response) => ({ kind: 'answered', resultOf: () => ({ kind: 'delivered', answer: { firedAtMs: response.body as number } }) }),
    };
  }
}
