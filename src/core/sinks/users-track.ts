import type { TrackOp } from '../ops.js';
import type { BuiltRequest, SinkBatch, SinkPolicy } from '../sink.js';
import { TrackBatch, type TrackBatchPolicy } from '../track-batch.js';
import { classifyTrackResponse } from '../track-response.js';
import { redactText } from '../redact-text.js';

export const USERS_TRACK_ENDPOINT = '/users/track';

/**
 * POST /users/track: attributes, events and purchases, batched within Braze's object limit and a byte cap,
 * a user's plain attribute updates merged into one object. Braze names refused objects by array and index
 * (`errors[].input_array` / `index`); every op merged into such an object is refused with it.
 */
export function usersTrackSink(policy: TrackBatchPolicy): SinkPolicy<TrackOp> {
  return {
    endpoint: USERS_TRACK_ENDPOINT,
    kinds: ['track.attributes', 'track.event', 'track.purchase'],
    newBatch: <R>(now: number) => new TrackSinkBatch<R>(policy, now),
  };
}

class TrackSinkBatch<R> implements SinkBatch<TrackOp, R> {
  private readonly batch: TrackBatch<R>;
  /** Accepted refs and their ops, in offer order. */
  private readonly refs: R[] = [];
  private readonly ops: TrackOp[] = [];
  readonly lingerUntilMs: number;

  constructor(policy: TrackBatchPolicy, now: number) {
    this.batch = new TrackBatch<R>(policy, now);
    this.lingerUntilMs = now + policy.lingerMs;
  }

  get openedAtMs(): number {
    return this.batch.openedAtMs;
  }

  get opCount(): number {
    return this.batch.opCount;
  }

  offer(op: TrackOp, ref: R) {
    const verdict = this.batch.offer(op, ref);
    if (verdict === 'accept') {
      this.refs.push(ref);
      this.ops.push(op);
    }
    return verdict;
  }

  isEmpty(): boolean {
    return this.batch.isEmpty();
  }

  flushReason(now: number) {
    return this.batch.flushReason(now);
  }

  build(): BuiltRequest<R> {
    const built = this.batch.build();
    const { json, refs } = built;
    const accepted = [...this.refs];
    const acceptedOps = [...this.ops];
    const opOf = (ref: R): TrackOp => acceptedOps[accepted.indexOf(ref)]!;
    return {
      // The body as data is parsed from the JSON text only if something reads it (test transports do).
      request: { method: 'POST', path: USERS_TRACK_ENDPOINT, get body() { return built.body; }, json },
      refs: accepted,
      objects: this.batch.objectCount,
      read(response) {
        const outcome = classifyTrackResponse(response.status, response.body);
        switch (outcome.kind) {
          case 'ok': {
            const failed = new Map<R, string>();
            for (const e of outcome.itemErrors) {
              const group = refs[e.inputArray]?.[e.index];
              if (group) for (const ref of group) if (!failed.has(ref)) failed.set(ref, e.type);
            }
            return {
              kind: 'answered',
              resultOf: (ref) => {
                const type = failed.get(ref);
                if (type === undefined) return { kind: 'delivered' };
                return { kind: 'rejected', code: 'braze_item_error', detail: `Braze rejected the ${describeTrackOp(opOf(ref))}`, brazeErrorType: redactText(type, 120) };
              },
            };
          }
          case 'retry':
            // classifyTrackResponse answers 'network' only for transport errors, which never reach read().
            return { kind: 'retry', reason: outcome.reason === 'rate-limited' ? 'rate-limited' : 'server-error', status: outcome.status ?? response.status };
          case 'reject':
            return { kind: 'reject', status: outcome.status, message: outcome.message };
          case 'config':
            return { kind: 'config', status: outcome.status, message: outcome.message };
        }
      },
    };
  }
}

export function describeTrackOp(op: TrackOp): string {
  switch (op.kind) {
    case 'track.attributes':
      return `attributes object (${Object.keys(op.attributes).length} attributes)`;
    case 'track.event':
      return `event ${JSON.stringify(op.name).slice(0, 80)}`;
    case 'track.purchase':
      return 'purchase object';
  }
}
