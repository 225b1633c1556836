import { STATUS_CODES } from 'node:http';
import type { Random } from './random.js';
import type {
  FaultControl, FaultSettings, FaultsView, FaultStatus, JsonValue, LatencySpec, ScriptStep, TrackArray,
} from './types.js';

export const DEFAULT_HANG_MS = 60_000;
const FAULT_STATUSES: readonly FaultStatus[] = [500, 502, 503, 504];
const TRACK_ARRAYS: readonly string[] = ['attributes', 'events', 'purchases'];

/** What to do with one API request before it reaches auth and validation. */
export type FaultAction =
  | { readonly kind: 'status'; readonly status: number; readonly body: JsonValue; readonly headers: Readonly<Record<string, string>> }
  | { readonly kind: 'rate-limit'; readonly retryAfterS?: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang'; readonly hangMs: number }
  | { readonly kind: 'delay'; readonly ms: number }
  | {
    readonly kind: 'item-errors';
    readonly errors: readonly { readonly input_array: TrackArray; readonly index: number; readonly type?: string }[];
  };

export interface FaultDecision {
  readonly action: FaultAction | null;
  readonly scripted: boolean;
  /** Extra latency from the standing settings. */
  readonly latencyMs: number;
}

/** Braze-style `{"message": ...}` for a status without a scripted body. */
export const defaultBody = (status: number): JsonValue => ({ message: STATUS_CODES[status] ?? 'Error' });

export class FaultError extends Error {}

const isRate = (v: unknown): boolean => v === undefined || (typeof v === 'number' && v >= 0 && v <= 1);
const isNonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

export function validateLatency(spec: unknown, name = 'latency'): LatencySpec {
  if (typeof spec === 'object' && spec !== null) {
    const s = spec as Record<string, unknown>;
    if ('fixedMs' in s && isNonNegative(s.fixedMs) && Object.keys(s).length === 1) return { fixedMs: s.fixedMs };
    if (isNonNegative(s.minMs) && isNonNegative(s.maxMs) && s.minMs <= s.maxMs && Object.keys(s).length === 2) {
      return { minMs: s.minMs, maxMs: s.maxMs };
    }
  }
  throw new FaultError(`${name} must be {"fixedMs": n} or {"minMs": a, "maxMs": b} with 0 <= a <= b`);
}

export function sampleLatency(spec: LatencySpec | null | undefined, random: Random): number {
  if (spec === null || spec === undefined) return 0;
  if ('fixedMs' in spec) return spec.fixedMs;
  return spec.minMs + random.next() * (spec.maxMs - spec.minMs);
}

function validateSettings(input: unknown): FaultSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new FaultError('fault settings must be an object');
  const s = input as Record<string, unknown>;
  const known = new Set(['paths', 'errorRate', 'errorStatuses', 'resetRate', 'hangRate', 'hangMs', 'latency']);
  for (const key of Object.keys(s)) if (!known.has(key)) throw new FaultError(`unknown fault setting '${key}'`);
  if (s.paths !== undefined && (!Array.isArray(s.paths) || !s.paths.every((p) => typeof p === 'string' && p.startsWith('/')))) {
    throw new FaultError('paths must be an array of paths starting with /');
  }
  for (const key of ['errorRate', 'resetRate', 'hangRate']) {
    if (!isRate(s[key])) throw new FaultError(`${key} must be a probability between 0 and 1`);
  }
  if (s.errorStatuses !== undefined) {
    if (!Array.isArray(s.errorStatuses) || s.errorStatuses.length === 0 || !s.errorStatuses.every((v) => FAULT_STATUSES.includes(v))) {
      throw new FaultError('errorStatuses must be a non-empty array of 500, 502, 503, 504');
    }
  }
  if (s.hangMs !== undefined && !isNonNegative(s.hangMs)) throw new FaultError('hangMs must be a non-negative number');
  const out: Record<string, unknown> = { ...s };
  if (s.latency !== undefined) out.latency = validateLatency(s.latency);
  return out as FaultSettings;
}

function validateStep(input: unknown, i: number): ScriptStep & { times: number } {
  const where = `script step ${i}`;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new FaultError(`${where} must be an object`);
  const s = input as Record<string, unknown>;
  if (s.path !== undefined && (typeof s.path !== 'string' || !s.path.startsWith('/'))) throw new FaultError(`${where}: path must start with /`);
  const times = s.times ?? 1;
  if (typeof times !== 'number' || !Number.isInteger(times) || times < 1) throw new FaultError(`${where}: times must be a positive integer`);
  switch (s.fault) {
    case 'status':
      if (typeof s.status !== 'number' || !Number.isInteger(s.status) || s.status < 200 || s.status > 599) {
        throw new FaultError(`${where}: status must be an HTTP status from 200 to 599`);
      }
      if (s.headers !== undefined && (typeof s.headers !== 'object' || s.headers === null
        || !Object.values(s.headers).every((v) => typeof v === 'string'))) {
        throw new FaultError(`${where}: headers must map names to strings`);
      }
      break;
    case 'rate-limit':
      if (s.retryAfterS !== undefined && (typeof s.retryAfterS !== 'number' || !Number.isInteger(s.retryAfterS) || s.retryAfterS < 0)) {
        throw new FaultError(`${where}: retryAfterS must be a non-negative integer`);
      }
      break;
    case 'reset':
      break;
    case 'hang':
      if (s.hangMs !== undefined && !isNonNegative(s.hangMs)) throw new FaultError(`${where}: hangMs must be a non-negative number`);
      break;
    case 'delay':
      if (!isNonNegative(s.ms)) throw new FaultError(`${where}: ms must be a non-negative number`);
      break;
    case 'item-errors':
      if (!Array.isArray(s.errors) || !s.errors.every((e) => typeof e === 'object' && e !== null
        && TRACK_ARRAYS.includes((e as Record<string, unknown>).input_array as string)
        && Number.isInteger((e as Record<string, unknown>).index) && ((e as Record<string, number>).index) >= 0
        && ((e as Record<string, unknown>).type === undefined || typeof (e as Record<string, unknown>).type === 'string'))) {
        throw new FaultError(`${where}: errors must be [{"input_array": "attributes"|"events"|"purchases", "index": n, "type"?: string}]`);
      }
      break;
    default:
      throw new FaultError(`${where}: fault must be one of status, rate-limit, reset, hang, delay, item-errors`);
  }
  return { ...(s as unknown as ScriptStep), times: times as number };
}

/**
 * Standing faults (probabilities drawn from the seeded generator) and a script consumed by the next
 * matching requests. A scripted step wins over the standing settings.
 */
export class FaultController implements FaultControl {
  private settings: FaultSettings = {};
  private steps: (ScriptStep & { times: number })[] = [];

  constructor(private readonly random: Random) {}

  set(settings: FaultSettings): void {
    this.settings = validateSettings(settings);
  }

  script(steps: readonly ScriptStep[]): void {
    if (!Array.isArray(steps)) throw new FaultError('a script is an array of steps');
    const valid = steps.map((step, i) => validateStep(step, i));
    this.steps.push(...valid);
  }

  clear(): void {
    this.settings = {};
    this.steps = [];
  }

  get(): FaultsView {
    return structuredClone({ settings: this.settings, script: this.steps });
  }

  private takeStep(path: string): ScriptStep | undefined {
    const index = this.steps.findIndex((step) => (step.path ?? (step.fault === 'item-errors' ? '/users/track' : path)) === path);
    if (index < 0) return undefined;
    const step = this.steps[index];
    step.times -= 1;
    if (step.times <= 0) this.steps.splice(index, 1);
    return step;
  }

  decide(path: string): FaultDecision {
    const step = this.takeStep(path);
    const s = this.settings;
    const applies = s.paths === undefined || s.paths.includes(path);
    const latencyMs = applies ? sampleLatency(s.latency, this.random) : 0;
    if (step !== undefined) return { action: this.scriptedAction(step), scripted: true, latencyMs };
    if (!applies) return { action: null, scripted: false, latencyMs };
    const reset = s.resetRate ?? 0;
    const hang = s.hangRate ?? 0;
    const error = s.errorRate ?? 0;
    if (reset + hang + error === 0) return { action: null, scripted: false, latencyMs };
    // One draw split into bands keeps the decisions for a seed stable whatever the rates.
    const draw = this.random.next();
    if (draw < reset) return { action: { kind: 'reset' }, scripted: false, latencyMs };
    if (draw < reset + hang) return { action: { kind: 'hang', hangMs: s.hangMs ?? DEFAULT_HANG_MS }, scripted: false, latencyMs };
    if (draw < reset + hang + error) {
      const statuses = s.errorStatuses ?? FAULT_STATUSES;
      const status = statuses[Math.floor(this.random.next() * statuses.length)];
      return { action: { kind: 'status', status, body: defaultBody(status), headers: {} }, scripted: false, latencyMs };
    }
    return { action: null, scripted: false, latencyMs };
  }

  private scriptedAction(step: ScriptStep): FaultAction {
    switch (step.fault) {
      case 'status':
        return { kind: 'status', status: step.status, body: step.body ?? defaultBody(step.status), headers: step.headers ?? {} };
      case 'rate-limit':
        return { kind: 'rate-limit', ...(step.retryAfterS === undefined ? {} : { retryAfterS: step.retryAfterS }) };
      case 'reset':
        return { kind: 'reset' };
      case 'hang':
        return { kind: 'hang', hangMs: step.hangMs ?? this.settings.hangMs ?? DEFAULT_HANG_MS };
      case 'delay':
        return { kind: 'delay', ms: step.ms };
      case 'item-errors':
        return { kind: 'item-errors', errors: step.errors };
    }
  }
}
