import type { TrackArrayName } from './track-batch.js';

export interface TrackItemError {
  readonly inputArray: TrackArrayName;
  /** 0-based position in the request's array named by inputArray. */
  readonly index: number;
  readonly type: string;
}

export type TrackOutcome =
  /** 2xx: accepted (201, 200, or 202 "queued" in maintenance mode). Objects named in itemErrors were not processed. */
  | { readonly kind: 'ok'; readonly itemErrors: TrackItemError[] }
  /** 429, 5xx, 408, network failure or timeout: send the same body again later. */
  | { readonly kind: 'retry'; readonly reason: 'rate-limited' | 'server-error' | 'network'; readonly status?: number }
  /** 400, 413 and other 4xx: the data is refused. Split the batch to isolate it; a single object is dead-lettered. */
  | { readonly kind: 'reject'; readonly status: number; readonly message: string }
  /** 401, 403, 404, 3xx: the key, its permissions or the endpoint is wrong. Stop; nothing is dead-lettered. */
  | { readonly kind: 'config'; readonly status: number; readonly message: string };

const INPUT_ARRAYS: ReadonlySet<string> = new Set<TrackArrayName>(['attributes', 'events', 'purchases']);

/** Keeps messages taken from response bodies short enough for logs and dead-letter headers. */
const MAX_MESSAGE_CHARS = 300;

/** Classify a /users/track answer (braze-api.md §2.12 and §3). Total: any status and any body give an outcome. */
export function classifyTrackResponse(status: number, body: unknown): TrackOutcome {
  if (status >= 200 && status < 300) return { kind: 'ok', itemErrors: itemErrorsOf(body) };
  if (status === 429) return { kind: 'retry', reason: 'rate-limited', status };
  if (status >= 500 && status < 600) return { kind: 'retry', reason: 'server-error', status };
  // A request timeout from a proxy on the way says nothing about the data; retrying is safe for the body.
  if (status === 408) return { kind: 'retry', reason: 'server-error', status };
  if (status === 401 || status === 403 || status === 404) return { kind: 'config', status, message: brazeMessageOf(status, body) };
  if (status >= 400 && status < 500) return { kind: 'reject', status, message: brazeMessageOf(status, body) };
  // Braze does not redirect its REST API: a 3xx means the base URL is wrong (e.g. http instead of https).
  if (status >= 300 && status < 400) return { kind: 'config', status, message: brazeMessageOf(status, body) };
  // 1xx or a non-HTTP status code: nothing was accepted.
  return { kind: 'retry', reason: 'server-error', status };
}

/**
 * Network errors and timeouts are always retried. The request may have reached Braze (a resend can duplicate
 * events, braze-api.md §8), but dropping it would lose data, and at-least-once is the contract.
 */
export function classifyNetworkError(_err: unknown): TrackOutcome {
  return { kind: 'retry', reason: 'network' };
}

/**
 * Per-object errors of an accepted request. Read whatever the message says: an object Braze names as failed
 * was not processed, so reporting it is never wrong. Entries without a valid array name or index are ignored.
 */
function itemErrorsOf(body: unknown): TrackItemError[] {
  if (!isRecord(body) || !Array.isArray(body.errors)) return [];
  const out: TrackItemError[] = [];
  for (const entry of body.errors) {
    if (!isRecord(entry)) continue;
    const inputArray = entry.input_array;
    const index = typeof entry.index === 'string' && /^\d+$/.test(entry.index) ? Number(entry.index) : entry.index;
    if (typeof inputArray !== 'string' || !INPUT_ARRAYS.has(inputArray)) continue;
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) continue;
    out.push({ inputArray: inputArray as TrackArrayName, index, type: errorTypeOf(entry) });
  }
  return out;
}

/** Which key carries Braze's error code is not documented (braze-api.md §10); `type` is what clients see. */
function errorTypeOf(entry: Record<string, unknown>): string {
  for (const key of ['type', 'code', 'message']) {
    const v = entry[key];
    if (typeof v === 'string' && v.length > 0) return truncate(v);
  }
  return 'unknown';
}

/** Braze's `message`, or the body's text, shortened for logs and dead-letter headers. */
export function brazeMessageOf(status: number, body: unknown): string {
  if (isRecord(body) && typeof body.message === 'string' && body.message.length > 0) return truncate(body.message);
  if (typeof body === 'string' && body.trim().length > 0) return truncate(body.trim());
  return `HTTP ${status}`;
}

function truncate(s: string): string {
  return s.length > MAX_MESSAGE_CHARS ? `${s.slice(0, MAX_MESSAGE_CHARS)}…` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
