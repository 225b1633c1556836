import type { JsonObject, MovableInkOp } from '../ops.js';
import { SingleOpBatch, type BuiltRequest, type SinkPolicy, type Verdict } from '../sink.js';
import type { MovableInkContinuity } from '../movable-ink-continuity.js';
import { basicAuth, partnerVerdict } from './partner-answer.js';

export const MOVABLE_INK_ENDPOINT = 'movable-ink';

export interface MovableInkSinkOptions {
  /** The full `.../behavioral/<key>` URL Movable Ink gives. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
}

/**
 * Movable Ink's Customer Data API: one event per request, sent at once (Movable Ink asks for no batching
 * delay). An answered 4xx other than 401/403 dead-letters the op (`movable_ink_rejected`).
 *
 * User id continuity, with `continuity`: a track without a user id carries the one already sent for its
 * anonymous id; an `onlyIfNew` identify whose pairing was already sent is answered without a request; a
 * delivered identify is remembered.
 */
export function movableInkSink(options: MovableInkSinkOptions, continuity: MovableInkContinuity | null = null): SinkPolicy<MovableInkOp> {
  const headers = { authorization: basicAuth(options.username, options.password), 'content-type': 'application/json', accept: 'application/json' };
  const resolve = (op: MovableInkOp): MovableInkOp => {
    if (continuity === null || op.kind !== 'movable-ink.track' || op.userId !== undefined || op.anonymousId === undefined) return op;
    const userId = continuity.userIdOf(op.anonymousId);
    return userId === undefined ? op : { ...op, userId };
  };
  return {
    endpoint: MOVABLE_INK_ENDPOINT,
    kinds: ['movable-ink.track', 'movable-ink.identify'],
    newBatch: <R>(now: number) => new MovableInkBatch<R>(now, options.url, headers, resolve),
    answerLocally: (op) => {
      if (continuity === null || op.kind !== 'movable-ink.identify' || op.onlyIfNew !== true || op.anonymousId === undefined) return null;
      return continuity.userIdOf(op.anonymousId) === op.userId ? { sent: false } : null;
    },
    onDelivered: (op, answer) => {
      const sent = (answer as { sent?: boolean } | undefined)?.sent === true;
      if (continuity !== null && sent && op.kind === 'movable-ink.identify' && op.anonymousId !== undefined && op.userId !== undefined) {
        continuity.remember(op.anonymousId, op.userId);
      }
    },
  };
}

/**
 * The body as sent: a track carries `user_id` when the person's user id is known, else `anonymous_id`; an
 * identify carries both.
 */
export function movableInkBody(op: MovableInkOp): JsonObject {
  const { userId, anonymousId } = op;
  if (op.kind === 'movable-ink.identify') return { ...op.body, anonymous_id: anonymousId ?? null, user_id: userId ?? null };
  return { ...op.body, ...(userId !== undefined ? { user_id: userId } : { anonymous_id: anonymousId ?? null }) };
}

class MovableInkBatch<R> extends SingleOpBatch<MovableInkOp, R> {
  constructor(
    now: number,
    private readonly url: string,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly resolve: (op: MovableInkOp) => MovableInkOp,
  ) {
    super(now);
  }

  build(): BuiltRequest<R> {
    const op = this.resolve(this.op!);
    return {
      request: { method: 'HTTP', url: this.url, headers: this.headers, body: movableInkBody(op) },
      refs: [this.ref!],
      objects: 1,
      read: (response): Verdict<R> => {
        const verdict = partnerVerdict<R>('Movable Ink', 'movable_ink_rejected', response);
        if (verdict.kind !== 'answered' || op.kind !== 'movable-ink.identify') return verdict;
        return { kind: 'answered', resultOf: (ref) => {
          const result = verdict.resultOf(ref);
          return result.kind === 'delivered' ? { kind: 'delivered', answer: { sent: true } } : result;
        } };
      },
    };
  }
}
