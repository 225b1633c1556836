import type { TimerWaitOp } from '../ops.js';
import { SingleOpBatch, type BuiltRequest, type SinkPolicy } from '../sink.js';

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

class WaitBatch<R> extends SingleOpBatch<TimerWaitOp, R> {
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
