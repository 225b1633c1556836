import type { JsonObject, MovableInkOp } from '../ops.js';
import { SingleOpBatch, type BuiltRequest, type SinkPolicy } from '../sink.js';
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
 * delay). The op's body is sent as it is; an answered 4xx other than 401/403 dead-letters it
 * (`movable_ink_rejected`).
 */
export function movableInkSink(options: MovableInkSinkOptions): SinkPolicy<MovableInkOp> {
  const headers = { authorization: basicAuth(options.username, options.password), 'content-type': 'application/json', accept: 'application/json' };
  return {
    endpoint: MOVABLE_INK_ENDPOINT,
    kinds: ['movable-ink.track', 'movable-ink.identify'],
    newBatch: <R>(now: number) => new MovableInkBatch<R>(now, options.url, headers),
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
  constructor(now: number, private readonly url: string, private readonly headers: Readonly<Record<string, string>>) {
    super(now);
  }

  build(): BuiltRequest<R> {
    return {
      request: { method: 'HTTP', url: this.url, headers: this.headers, body: movableInkBody(this.op!) },
      refs: [this.ref!],
      objects: 1,
      read: (response) => partnerVerdict('Movable Ink', 'movable_ink_rejected', response),
    };
  }
}
