/**
 * Operations on data already in Kafka, through the same decoding, mapping and delivery as `run`:
 * `replay` (a range of a topic again) and `dlq inspect` / `dlq redrive` (the dead-letter topic). None of
 * them joins or moves the live consumer group: ranges are read by a throw-away group that never commits
 * and is deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { TributaryConfig } from '../config/index.js';
import { TributaryError } from '../core/errors.js';
import type { FlowStep, MapResult, Op, OpAnswer } from '../core/ops.js';
import type { BrazeHttpResponse, BrazeTransport, DeadLetterWriter, PipelineObserver, RawRecord, RecordProducer } from '../core/ports.js';
import { NOOP_OBSERVER } from '../core/ports.js';
import { systemClock } from '../adapters/system-clock.js';
import { createBrazeTransport } from '../adapters/braze/braze-transport.js';
import { DLQ_HEADERS } from '../adapters/kafka/dead-letter-writer.js';
import { RecordDecoder } from '../adapters/schema-registry/record-decoder.js';
import { PipelineEngine, type BatchControl, type TopicHandler } from '../pipeline/engine.js';
import { topicHandler } from '../partners/index.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { consumedTopics, engineOptions, kafkaClientOf } from './tributary-app.js';

// ---------------------------------------------------------------------------------------------
// Ranges

/** Where a range starts. */
export type RangeStart =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'offset'; readonly offset: bigint }
  | { readonly kind: 'time'; readonly ms: number }
  /** now − ms */
  | { readonly kind: 'ago'; readonly ms: number };

/** Where a range ends (exclusive). */
export type RangeEnd =
  | { readonly kind: 'latest' }
  | { readonly kind: 'offset'; readonly offset: bigint }
  | { readonly kind: 'time'; readonly ms: number }
  | { readonly kind: 'ago'; readonly ms: number };

/** `PT2H`, `PT30M`, `P1DT12H`, `PT90S` (days, hours, minutes, seconds; fractions allowed) as milliseconds. */
export function parseIsoDuration(text: string): number {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (!m || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) throw new TributaryError('usage', `${JSON.stringify(text)} is not an ISO-8601 duration such as PT2H, PT30M or P1D`);
  const [d, h, min, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  return Math.round((((d! * 24 + h!) * 60 + min!) * 60 + s!) * 1000);
}

function parseTime(text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw new TributaryError('usage', `${JSON.stringify(text)} is not an ISO-8601 time such as 2026-05-01T10:00:00Z`);
  return ms;
}

function parseOffset(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new TributaryError('usage', `${JSON.stringify(text)} is not an offset (a non-negative integer)`);
  return BigInt(text);
}

/** `earliest`, `offset:N`, `time:ISO` or `duration:PT2H` (that long before now). */
export function parseRangeStart(text: string): RangeStart {
  if (text === 'earliest') return { kind: 'earliest' };
  const [kind, ...rest] = text.split(':');
  const value = rest.join(':');
  if (kind === 'offset') return { kind: 'offset', offset: parseOffset(value) };
  if (kind === 'time') return { kind: 'time', ms: parseTime(value) };
  if (kind === 'duration') return { kind: 'ago', ms: parseIsoDuration(value) };
  throw new TributaryError('usage', `--from takes earliest, offset:N, time:ISO or duration:PT2H, not ${JSON.stringify(text)}`);
}

/** `latest`, `offset:N`, `time:ISO` or `duration:PT1H` (that long before now); the end is exclusive. */
export function parseRangeEnd(text: string): RangeEnd {
  if (text === 'latest') return { kind: 'latest' };
  const [kind, ...rest] = text.split(':');
  const value = rest.join(':');
  if (kind === 'offset') return { kind: 'offset', offset: parseOffset(value) };
  if (kind === 'time') return { kind: 'time', ms: parseTime(value) };
  if (kind === 'duration') return { kind: 'ago', ms: parseIsoDuration(value) };
  throw new TributaryError('usage', `--to takes latest, offset:N, time:ISO or duration:PT1H, not ${JSON.stringify(text)}`);
}

/** One partition's records from `start` (inclusive) to `end` (exclusive). */
export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly start: bigint;
  readonly end: bigint;
}

export const rangeSize = (ranges: readonly PartitionRange[]): number => ranges.reduce((n, r) => n + Number(r.end > r.start ? r.end - r.start : 0n), 0);

/**
 * The offsets of a range, resolved once: times through ListOffsets (the first record at or after the time),
 * `latest` as the high watermark now, so records produced later are not part of it. Offsets are clamped to
 * what the partition holds.
 */
export async function resolveRanges(admin: Admin, topic: string, partitions: readonly number[] | undefined, from: RangeStart, to: RangeEnd, nowMs: number): Promise<PartitionRange[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const known = new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  const chosen = partitions ?? [...known.keys()].sort((a, b) => a - b);
  const missing = chosen.filter((p) => !known.has(p));
  if (missing.length > 0) throw new TributaryError('usage', `topic ${topic} has no partition ${missing.join(', ')} (it has ${known.size})`);
  const byTime = async (ms: number) => new Map((await admin.fetchTopicOffsetsByTimestamp(topic, ms)).map((o) => [o.partition, BigInt(o.offset)]));
  const startTimes = from.kind === 'time' ? await byTime(from.ms) : from.kind === 'ago' ? await byTime(nowMs - from.ms) : null;
  const endTimes = to.kind === 'time' ? await byTime(to.ms) : to.kind === 'ago' ? await byTime(nowMs - to.ms) : null;
  return chosen.map((partition) => {
    const { low, high } = known.get(partition)!;
    const clamp = (o: bigint) => (o < low ? low : o > high ? high : o);
    // ListOffsets answers -1 for "no record at or after that time": the range is empty there.
    const timed = (m: Map<number, bigint>) => {
      const o = m.get(partition) ?? high;
      return o < 0n ? high : o;
    };
    const start = clamp(from.kind === 'earliest' ? low : from.kind === 'offset' ? from.offset : timed(startTimes!));
    const end = clamp(to.kind === 'latest' ? high : to.kind === 'offset' ? to.offset : timed(endTimes!));
    return { topic, partition, start, end: end < start ? start : end };
  });
}

export interface RangeReader {
  /** Resolves when every range was read (true) or the reader was stopped first (false). */
  readonly done: Promise<boolean>;
  /** Stops taking records; `done` resolves once the batch being handled returns. */
  stop(): void;
}

export type BatchHandler = (topic: string, partition: number, records: RawRecord[], control: BatchControl) => Promise<void>;

/**
 * Reads the ranges with a consumer of a throw-away group (never committing), hands each partition's records
 * to `onBatch` in offset order, and deletes the group afterwards. A record counts as read once `onBatch`
 * resolved its offset (the engine does so for each record it took in).
 */
export function readRanges(kafka: Kafka, config: TributaryConfig, ranges: readonly PartitionRange[], onBatch: BatchHandler, log: Logger): RangeReader {
  const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
  const work = new Map(ranges.filter((r) => r.end > r.start).map((r) => [key(r.topic, r.partition), { ...r, next: r.start }]));
  let stopped = false;
  let finish!: (complete: boolean) => void;
  const done = new Promise<boolean>((resolve) => (finish = resolve));
  const finished = () => [...work.values()].every((w) => w.next >= w.end);
  if (work.size === 0) {
    finish(true);
    return { done, stop: () => undefined };
  }
  const topics = [...new Set(ranges.map((r) => r.topic))];
  const groupId = `${config.kafka.groupId}-ops-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    rebalanceTimeout: config.kafka.rebalanceTimeoutMs,
    heartbeatInterval: config.kafka.heartbeatIntervalMs,
    maxWaitTimeInMs: config.kafka.maxWaitTimeMs,
    maxBytesPerPartition: config.kafka.maxBytesPerPartition,
    maxBytes: config.kafka.maxBytesPerFetch,
    allowAutoTopicCreation: false,
  });
  // Every partition not (or no longer) wanted is paused; the wanted ones start where the range does.
  const position = () => {
    for (const topic of topics) {
      const idle: number[] = [];
      for (const r of ranges) {
        const w = work.get(key(topic, r.partition));
        if (r.topic === topic && !(w && w.next < w.end)) idle.push(r.partition);
      }
      if (idle.length > 0) consumer.pause([{ topic, partitions: idle }]);
    }
    for (const w of work.values()) if (w.next < w.end) consumer.seek({ topic: w.topic, partition: w.partition, offset: String(w.next) });
  };
  let complete = false;
  let onStop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (onStop = resolve));
  const run = (async () => {
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        try {
          position();
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'positioning the range reader failed');
        }
      });
      let wake!: () => void;
      const allRead = new Promise<void>((resolve) => (wake = resolve));
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const w = work.get(key(batch.topic, batch.partition));
          if (!w || stopped) return;
          const records: RawRecord[] = [];
          for (const m of batch.messages) {
            const o = BigInt(m.offset);
            if (o < w.next) {
              payload.resolveOffset(m.offset); // before the range (a fetch before the seek took effect)
              continue;
            }
            if (o >= w.end) break;
            records.push({
              topic: batch.topic,
              partition: batch.partition,
              offset: m.offset,
              key: m.key ?? null,
              value: m.value ?? null,
              headers: (m.headers ?? {}) as Record<string, Buffer | string | undefined>,
              timestampMs: Number(m.timestamp),
            });
          }
          if (records.length > 0) {
            await onBatch(batch.topic, batch.partition, records, {
              resolveOffset: (offset) => {
                payload.resolveOffset(offset);
                const o = BigInt(offset) + 1n;
                if (o > w.next) w.next = o;
              },
              heartbeat: () => payload.heartbeat(),
              isActive: () => !stopped && payload.isRunning() && !payload.isStale(),
            });
          }
          // Offsets may be missing from a range (compaction, transaction markers): a batch reaching past it ends it.
          const handledAll = records.length === 0 || w.next > BigInt(records[records.length - 1]!.offset);
          if (handledAll && !stopped && BigInt(batch.lastOffset()) + 1n >= w.end) w.next = w.end;
          if (w.next >= w.end) consumer.pause([{ topic: w.topic, partitions: [w.partition] }]);
          if (finished()) wake();
        },
      });
      position();
      await Promise.race([allRead, stopSignal]);
      complete = finished();
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await deleteGroup(kafka, groupId).catch((err: Error) => log.warn({ groupId, err: err.message }, 'could not delete the throw-away consumer group'));
    }
  })();
  run.then(() => finish(complete), (err: unknown) => {
    log.error({ err: (err as Error).message }, 'reading the range failed');
    finish(false);
  });
  return {
    done,
    stop: () => {
      stopped = true;
      onStop();
    },
  };
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]).catch((err: { groups?: Array<{ errorCode: number }> }) => {
      // 69: GROUP_ID_NOT_FOUND (an empty group that never committed may be gone already).
      if (!(err.groups ?? []).every((g) => g.errorCode === 0 || g.errorCode === 69)) throw err;
    });
  } finally {
    await admin.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Safe replays: no events

const EVENT_KINDS = new Set<Op['kind']>(['track.event', 'track.purchase']);

/**
 * The handler with Braze events and purchases removed from what it maps, flows included: attributes are
 * idempotent, events are not, so a replay re-applies the first and leaves the second out. A record whose
 * ops were all events is skipped (`replay_events_skipped`). `onSkipped` counts the ops left out.
 */
export function withoutEvents(handler: TopicHandler, onSkipped: (ops: number) => void): TopicHandler {
  const keep = (list: readonly Op[]) => {
    const kept = list.filter((op) => !EVENT_KINDS.has(op.kind));
    if (kept.length < list.length) onSkipped(list.length - kept.length);
    return kept;
  };
  const step = (s: FlowStep): FlowStep => {
    if (s.type !== 'ops') return s;
    const kept = keep(s.ops);
    const { then, otherwise } = s;
    // `then` expects the answers of every original op, in order: events answer nothing (undefined).
    const answersFor = (answers: readonly OpAnswer[]): OpAnswer[] => {
      let i = 0;
      return s.ops.map((op) => (EVENT_KINDS.has(op.kind) ? undefined : answers[i++]));
    };
    return {
      type: 'ops',
      ops: kept,
      ...(then ? { then: (answers: readonly OpAnswer[]) => step(then(answersFor(answers))) } : {}),
      ...(otherwise ? { otherwise: (failure: { readonly code: string; readonly detail: string }) => step(otherwise(failure)) } : {}),
      ...(s.establishes ? { establishes: s.establishes } : {}),
    };
  };
  return {
    partner: handler.partner,
    map: (value: unknown): MapResult => {
      const result = handler.map(value);
      if (result.type === 'ops') {
        const kept = keep(result.ops);
        if (kept.length === 0 && result.ops.length > 0) return { type: 'skip', reason: 'replay_events_skipped' };
        return kept.length === result.ops.length ? result : { type: 'ops', ops: kept };
      }
      if (result.type === 'flow') return { type: 'flow', flow: { ...result.flow, start: step(result.flow.start) } };
      return result;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Dry runs: a Braze that records

/** What a dry run would have sent. */
export interface DryRunCounts {
  requests: number;
  /** Objects of /users/track requests (attributes, events, purchases) and subscribers of subscription changes. */
  objects: number;
  /** Estimated: 1 per attribute value set, 1 per event, 1 + its properties per purchase. */
  dataPoints: number;
}

const IDENTIFIER_KEYS = new Set(['external_id', 'braze_id', 'user_alias', '_update_existing_only', '_merge_objects']);

function countRequest(path: string, body: unknown, counts: DryRunCounts): void {
  counts.requests++;
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  if (path === '/users/track') {
    for (const a of list(b.attributes)) {
      counts.objects++;
      counts.dataPoints += Object.keys(a).filter((k) => !IDENTIFIER_KEYS.has(k)).length;
    }
    for (const _ of list(b.events)) {
      counts.objects++;
      counts.dataPoints++;
    }
    for (const p of list(b.purchases)) {
      counts.objects++;
      const props = p.properties;
      counts.dataPoints += 1 + (typeof props === 'object' && props !== null ? Object.keys(props).length : 0);
    }
  } else if (path === '/v2/subscription/status/set') {
    for (const g of list(b.subscription_groups)) counts.objects += list(g.external_ids).length + list(g.emails).length + list(g.phones).length;
  }
}

const answer = (status: number, body: unknown): BrazeHttpResponse => ({ status, headers: () => undefined, body });

/**
 * A Braze that sends nothing: each request becomes one NDJSON line `{endpoint, method, body}` and is answered
 * with success. Look-ups answer "not found" (no profile has the email; no subscription state is known),
 * so flows take their not-found branch.
 */
export function recordingTransport(writeLine: (line: string) => void): BrazeTransport & { readonly counts: DryRunCounts } {
  const counts: DryRunCounts = { requests: 0, objects: 0, dataPoints: 0 };
  return {
    counts,
    async post(path: string, data: unknown, _signal?: AbortSignal, json?: string): Promise<BrazeHttpResponse> {
      const body: unknown = json === undefined ? data : JSON.parse(json);
      writeLine(JSON.stringify({ endpoint: path, method: 'POST', body }));
      countRequest(path, body, counts);
      if (path === '/users/export/ids') return answer(201, { users: [], invalid_user_ids: [], message: 'success' });
      return answer(201, { message: 'success' });
    },
    async get(path: string, query: Readonly<Record<string, string | readonly string[]>>): Promise<BrazeHttpResponse> {
      writeLine(JSON.stringify({ endpoint: path, method: 'GET', body: query }));
      countRequest(path, query, counts);
      return answer(200, { status: {}, message: 'success' });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A pipeline session: the engine of `run`, without the live consumer group

export interface SessionCounts {
  read: number;
  delivered: number;
  skipped: number;
  deadLettered: number;
  /** Dead letters by code. */
  codes: Record<string, number>;
  /** Event and purchase ops left out (`--events skip`). */
  eventsSkipped: number;
  requests: number;
}

export interface SessionOptions {
  /** Leave Braze events and purchases out. */
  readonly skipEvents: boolean;
  /** Send nothing to Braze and write no dead letters or hand-offs: each request becomes a line here. */
  readonly dryRun?: (line: string) => void;
  readonly logger?: Logger;
}

interface Session {
  readonly engine: PipelineEngine;
  readonly kafka: Kafka;
  readonly counts: SessionCounts;
  readonly dryRunCounts: DryRunCounts | null;
  readonly log: Logger;
  /** Dead-letter topic partitions' high watermarks, to tell where this session's letters went. */
  deadLetterOffsets(): Promise<Map<number, bigint>>;
  /** Sends what is queued and waits for it (bounded), then closes everything. */
  close(deadlineMs: number): Promise<{ drained: boolean; brazeProblem: string | null }>;
}

async function openSession(config: TributaryConfig, options: SessionOptions): Promise<Session> {
  const log = options.logger ?? createLogger({ level: config.observability.logLevel === 'info' ? 'warn' : config.observability.logLevel });
  const counts: SessionCounts = { read: 0, delivered: 0, skipped: 0, deadLettered: 0, codes: {}, eventsSkipped: 0, requests: 0 };
  const observer: PipelineObserver = {
    ...NOOP_OBSERVER,
    recordsReceived: (_partner, _topic, count) => void (counts.read += count),
    recordDelivered: () => void counts.delivered++,
    recordSkipped: () => void counts.skipped++,
    recordDeadLettered: (_partner, code) => {
      counts.deadLettered++;
      counts.codes[code] = (counts.codes[code] ?? 0) + 1;
    },
    brazeRequest: () => void counts.requests++,
  };
  let transport: BrazeTransport & { close?: () => Promise<void> };
  let dryRunCounts: DryRunCounts | null = null;
  if (options.dryRun) {
    const recording = recordingTransport(options.dryRun);
    dryRunCounts = recording.counts;
    transport = recording;
  } else {
    const { restEndpoint, apiKey } = config.braze;
    if (!restEndpoint || !apiKey) throw new TributaryError('config_invalid', 'braze.restEndpoint and braze.apiKey are required: set BRAZE_REST_ENDPOINT and BRAZE_API_KEY (or use --dry-run)');
    transport = createBrazeTransport({ restEndpoint, apiKey, requestTimeoutMs: config.braze.requestTimeoutMs, connections: config.braze.maxConcurrentRequests });
  }
  const kafka = kafkaClientOf(config, log);
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  if (!options.dryRun) await producer.connect();
  const handlers = new Map<string, TopicHandler>(
    [...consumedTopics(config)].map(([name, kind]) => {
      const handler = topicHandler(kind, config.partners);
      return [name, options.skipEvents ? withoutEvents(handler, (n) => (counts.eventsSkipped += n)) : handler];
    }),
  );
  const quiet: { deadLetters: DeadLetterWriter; recordProducer: RecordProducer } = { deadLetters: { write: async () => undefined }, recordProducer: { send: async () => undefined } };
  let brazeProblem: string | null = null;
  const engine = new PipelineEngine({
    ...engineOptions(config, {
      producer,
      transport,
      committer: { commit: async () => undefined },
      clock: systemClock,
      random: Math.random,
      observer,
      log,
      topics: handlers,
      ...(options.dryRun ? quiet : {}),
    }),
    onConfigProblem: (problem) => {
      brazeProblem = problem ? `Braze answered ${problem.status} on ${problem.endpoint}: check BRAZE_API_KEY, its permissions and BRAZE_REST_ENDPOINT` : null;
    },
  });
  return {
    engine,
    kafka,
    counts,
    dryRunCounts,
    log,
    deadLetterOffsets: async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        return new Map((await admin.fetchTopicOffsets(config.topics.deadLetter)).map((o) => [o.partition, BigInt(o.high)]));
      } finally {
        await admin.disconnect();
      }
    },
    close: async (deadlineMs) => {
      const { drained } = await engine.shutdown(deadlineMs);
      await producer.disconnect().catch(() => undefined);
      await transport.close?.().catch(() => undefined);
      return { drained, brazeProblem };
    },
  };
}

/** Where a session's dead letters went: per partition of the dead-letter topic, the offsets written meanwhile. */
export interface DeadLetterSpan {
  readonly topic: string;
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly from: string; readonly to: string }>;
}

function spanOf(topic: string, before: Map<number, bigint>, after: Map<number, bigint>): DeadLetterSpan {
  const partitions = [...after]
    .filter(([p, high]) => high > (before.get(p) ?? 0n))
    .map(([partition, high]) => ({ partition, from: String(before.get(partition) ?? 0n), to: String(high - 1n) }))
    .sort((a, b) => a.partition - b.partition);
  return { topic, partitions };
}

/** What a replay or redrive did. */
export interface RunSummary extends SessionCounts {
  /** Records the range (or the chosen letters) held. */
  readonly total: number;
  /** False when it was stopped (SIGINT) or could not finish (Braze refused the configuration). */
  readonly complete: boolean;
  /** Ops still undelivered when it ended (not drained in time, or Braze refused the configuration). */
  readonly undelivered: number;
  readonly brazeProblem: string | null;
  readonly deadLetters: DeadLetterSpan | null;
  readonly dryRun: DryRunCounts | null;
}

export interface RunHandle {
  readonly total: number;
  /** Counts so far, for a progress display. */
  readonly counts: SessionCounts;
  /** Stops taking records, finishes what is in flight (bounded by pipeline.shutdownTimeoutMs) and resolves `done`. */
  stop(): void;
  readonly done: Promise<RunSummary>;
}

/** Long enough for any backlog the in-flight cap lets through; Ctrl-C ends it sooner. */
const DRAIN_MS = 60 * 60_000;

async function finishSession(config: TributaryConfig, session: Session, total: number, complete: boolean, before: Map<number, bigint> | null): Promise<RunSummary> {
  const { drained, brazeProblem } = await session.close(complete ? Math.max(DRAIN_MS, config.pipeline.shutdownTimeoutMs) : config.pipeline.shutdownTimeoutMs);
  const undelivered = session.engine.opsInFlight;
  const after = before ? await session.deadLetterOffsets().catch(() => null) : null;
  return {
    ...session.counts,
    total,
    complete: complete && drained,
    undelivered,
    brazeProblem,
    deadLetters: before && after && session.counts.deadLettered > 0 ? spanOf(config.topics.deadLetter, before, after) : null,
    dryRun: session.dryRunCounts,
  };
}

// ---------------------------------------------------------------------------------------------
// replay

export interface ReplayOptions extends SessionOptions {
  readonly topic: string;
  readonly partitions?: readonly number[];
  readonly from: RangeStart;
  readonly to: RangeEnd;
  readonly nowMs?: number;
}

/** Starts a replay of a range: resolved once, read by a throw-away group, delivered like `run` delivers. */
export async function startReplay(config: TributaryConfig, options: ReplayOptions): Promise<RunHandle & { readonly ranges: readonly PartitionRange[] }> {
  if (!consumedTopics(config).has(options.topic)) {
    throw new TributaryError('usage', `topic ${options.topic} is not one this configuration consumes (${[...consumedTopics(config).keys()].join(', ')})`);
  }
  const session = await openSession(config, options);
  let ranges: PartitionRange[];
  let before: Map<number, bigint> | null = null;
  try {
    const admin = session.kafka.admin();
    await admin.connect();
    try {
      ranges = await resolveRanges(admin, options.topic, options.partitions, options.from, options.to, options.nowMs ?? Date.now());
    } finally {
      await admin.disconnect();
    }
    if (!options.dryRun) before = await session.deadLetterOffsets();
  } catch (err) {
    await session.close(0).catch(() => undefined);
    throw err;
  }
  const reader = readRanges(session.kafka, config, ranges, (topic, partition, records, control) => session.engine.handleBatch(topic, partition, records, control), session.log);
  const total = rangeSize(ranges);
  return {
    total,
    ranges,
    counts: session.counts,
    stop: () => reader.stop(),
    done: reader.done.then((complete) => finishSession(config, session, total, complete, before)),
  };
}

// ---------------------------------------------------------------------------------------------
// Dead letters

/** One letter of the dead-letter topic. */
export interface Letter {
  /** Where the letter is on the dead-letter topic. */
  readonly at: { readonly partition: number; readonly offset: string };
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly code: string;
  readonly detail: string;
  readonly failedAtMs: number;
  readonly brazeErrorType: string | null;
  /** Set when Kafka refused the original value and the letter was written without it. */
  readonly valueDropped: string | null;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The original record's headers (the tributary.* ones removed). */
  readonly headers: Record<string, Buffer | string>;
  readonly timestampMs: number;
}

export interface LetterFilter {
  readonly code?: string;
  readonly sinceMs?: number;
}

const text = (v: Buffer | string | undefined): string | undefined => (v === undefined ? undefined : String(v));

function letterOf(record: RawRecord): Letter {
  const h = record.headers;
  const headers: Record<string, Buffer | string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !k.startsWith('tributary.')) headers[k] = v;
  const failedAt = Date.parse(text(h[DLQ_HEADERS.failedAt]) ?? '');
  return {
    at: { partition: record.partition, offset: record.offset },
    source: {
      topic: text(h[DLQ_HEADERS.sourceTopic]) ?? '',
      partition: Number(text(h[DLQ_HEADERS.sourcePartition]) ?? -1),
      offset: text(h[DLQ_HEADERS.sourceOffset]) ?? '-1',
    },
    code: text(h[DLQ_HEADERS.errorCode]) ?? 'unknown',
    detail: text(h[DLQ_HEADERS.errorDetail]) ?? '',
    failedAtMs: Number.isNaN(failedAt) ? record.timestampMs : failedAt,
    brazeErrorType: text(h[DLQ_HEADERS.brazeErrorType]) ?? null,
    valueDropped: text(h[DLQ_HEADERS.valueDropped]) ?? null,
    key: record.key,
    value: record.value,
    headers,
    timestampMs: record.timestampMs,
  };
}

const matches = (l: Letter, f: LetterFilter) => (f.code === undefined || l.code === f.code) && (f.sinceMs === undefined || l.failedAtMs >= f.sinceMs);

/** Every letter on the dead-letter topic now that matches the filter, in topic order (partition, offset). */
export async function readLetters(config: TributaryConfig, filter: LetterFilter, logger?: Logger): Promise<Letter[]> {
  const log = logger ?? createLogger({ level: config.observability.logLevel === 'info' ? 'warn' : config.observability.logLevel });
  const kafka = kafkaClientOf(config, log);
  const admin = kafka.admin();
  await admin.connect();
  let ranges: PartitionRange[];
  try {
    ranges = await resolveRanges(admin, config.topics.deadLetter, undefined, { kind: 'earliest' }, { kind: 'latest' }, Date.now());
  } finally {
    await admin.disconnect();
  }
  const letters: Letter[] = [];
  const reader = readRanges(kafka, config, ranges, async (_topic, _partition, records, control) => {
    for (const r of records) {
      const letter = letterOf(r);
      if (matches(letter, filter)) letters.push(letter);
      control.resolveOffset(r.offset);
    }
  }, log);
  if (!(await reader.done)) throw new TributaryError('dlq_read_failed', `reading ${config.topics.deadLetter} did not finish`);
  return letters.sort((a, b) => a.at.partition - b.at.partition || (BigInt(a.at.offset) < BigInt(b.at.offset) ? -1 : 1));
}

/** Decodes a letter's value like the pipeline does (Avro through the registry, or JSON), for display. */
export function letterDecoder(config: TributaryConfig): (letter: Letter) => Promise<{ ok: true; value: unknown } | { ok: false; code: string }> {
  const decoder = new RecordDecoder({ registryUrl: config.schemaRegistry.url, username: config.schemaRegistry.username, password: config.schemaRegistry.password });
  return async (letter) => {
    try {
      const result = await decoder.decode({ ...letter.source, key: letter.key, value: letter.value, headers: letter.headers, timestampMs: letter.timestampMs });
      return result.ok ? { ok: true, value: result.value } : { ok: false, code: result.code };
    } catch (err) {
      return { ok: false, code: (err as { code?: string }).code ?? 'decode_failed' };
    }
  };
}

/**
 * The letters to send again: one per source record (the latest letter of a record dead-lettered more than
 * once), in source order (topic, partition, offset), which keeps each user's records in their order.
 */
export function redriveOrder(letters: readonly Letter[]): Letter[] {
  const latest = new Map<string, Letter>();
  for (const l of letters) latest.set(`${l.source.topic}\u0000${l.source.partition}\u0000${l.source.offset}`, l);
  return [...latest.values()].sort((a, b) => {
    if (a.source.topic !== b.source.topic) return a.source.topic < b.source.topic ? -1 : 1;
    if (a.source.partition !== b.source.partition) return a.source.partition - b.source.partition;
    const x = BigInt(a.source.offset);
    const y = BigInt(b.source.offset);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

export interface RedriveOptions extends LetterFilter {
  readonly dryRun?: (line: string) => void;
  readonly logger?: Logger;
}

/**
 * Sends the matching letters' records through the pipeline again (events included: that data never reached
 * Braze). A record that fails again gets a new letter. Every run sends what matches: running it twice sends twice.
 */
export async function startRedrive(config: TributaryConfig, options: RedriveOptions): Promise<RunHandle & { readonly letters: readonly Letter[]; readonly withoutValue: number }> {
  const chosen = redriveOrder(await readLetters(config, options, options.logger));
  // A letter written without its value (too large for Kafka) has nothing to send again.
  const letters = chosen.filter((l) => l.valueDropped === null);
  const session = await openSession(config, { skipEvents: false, ...(options.dryRun ? { dryRun: options.dryRun } : {}), ...(options.logger ? { logger: options.logger } : {}) });
  let before: Map<number, bigint> | null = null;
  try {
    if (!options.dryRun) before = await session.deadLetterOffsets();
  } catch (err) {
    await session.close(0).catch(() => undefined);
    throw err;
  }
  let stopped = false;
  const control: BatchControl = { resolveOffset: () => undefined, heartbeat: async () => undefined, isActive: () => !stopped };
  const done = (async () => {
    let i = 0;
    while (i < letters.length && !stopped) {
      const first = letters[i]!;
      let j = i;
      while (j < letters.length && letters[j]!.source.topic === first.source.topic && letters[j]!.source.partition === first.source.partition) j++;
      const records: RawRecord[] = letters.slice(i, j).map((l) => ({ ...l.source, key: l.key, value: l.value, headers: l.headers, timestampMs: l.timestampMs }));
      await session.engine.handleBatch(first.source.topic, first.source.partition, records, control);
      i = j;
    }
    return finishSession(config, session, letters.length, !stopped, before);
  })();
  return {
    total: letters.length,
    letters,
    withoutValue: chosen.length - letters.length,
    counts: session.counts,
    stop: () => {
      stopped = true;
    },
    done,
  };
}
