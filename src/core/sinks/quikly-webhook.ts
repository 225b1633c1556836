import type { QuiklyWebhookOp } from '../ops.js';
import { SingleOpBatch, type BuiltRequest, type SinkPolicy } from '../sink.js';
import { partnerVerdict } from './partner-answer.js';

export const QUIKLY_WEBHOOK_ENDPOINT = 'quikly-webhook';

export interface QuiklyWebhookSinkOptions {
  /** Default https://api.quikly.com/webhook/braze. */
  readonly url: string;
  readonly token: string;
}

/**
 * The Quikly webhook: one event per request, `{"q_scope", "event", "email"}` with the partner's Bearer
 * token. An answered 4xx other than 401/403 dead-letters the op (`quikly_webhook_rejected`).
 */
export function quiklyWebhookSink(options: QuiklyWebhookSinkOptions): SinkPolicy<QuiklyWebhookOp> {
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json', accept: 'application/json' };
  return {
    endpoint: QUIKLY_WEBHOOK_ENDPOINT,
    kinds: ['quikly.webhook'],
    newBatch: <R>(now: number) => new QuiklyWebhookBatch<R>(now, options.url, headers),
  };
}

class QuiklyWebhookBatch<R> extends SingleOpBatch<QuiklyWebhookOp, R> {
  constructor(now: number, private readonly url: string, private readonly headers: Readonly<Record<string, string>>) {
    super(now);
  }

  build(): BuiltRequest<R> {
    const op = this.op!;
    return {
      request: { method: 'HTTP', url: this.url, headers: this.headers, body: { q_scope: op.qScope, event: op.eventId, email: op.email } },
      refs: [this.ref!],
      objects: 1,
      read: (response) => partnerVerdict('Quikly', 'quikly_webhook_rejected', response),
    };
  }
}
