import { describe, it, expect } from 'vitest';
import { PipelineEngine, type BatchControl } from '../../../src/pipeline/engine.js';
import { NOOP_OBSERVER } from '../../../src/core/ports.js';
import { systemClock } from '../../../src/adapters/system-clock.js';
import { defaultPartnerOptions, topicHandler } from '../../../src/partners/index.js';
import type { DeadLetter, RawRecord } from '../../../src/core/ports.js';
import { RecordDecoder } from '../../../src/adapters/schema-registry/record-decoder.js';
import { FakeBrazeTransport } from '../../helpers/fake-braze.js';

const TOPIC = 'actioniq.audience-membership';
const EVENTS = 'actioniq.events';
const EXTOLE = 'extole.events';

/** An Extole reward for a participant known only by email: its record runs the look-up flow. */
function extoleByEmail(offset: number, email: string): RawRecord {
  return {
    topic: EXTOLE,
    partition: 0,
    offset: String(offset),
    key: Buffer.from(email),
    value: Buffer.from(JSON.stringify({ event_id: `r${offset}`, kind: 'reward', name: 'FULFILLED', occurred_at: 1_700_000_000_000 + offset, email })),
    headers: {},
    timestampMs: Date.now(),
  };
}

function membership(offset: number, user: string | null, member: boolean, audience = '7'): RawRecord {
  return {
    topic: TOPIC,
    partition: 0,
    offset: String(offset),
    key: user ? Buffer.from(user) : null,
    value: Buffer.from(JSON.stringify({ audience_id: audience, split_id: 'A', member, external_id: user, updated_at: 1_700_000_000_000 + offset })),
    headers: {},
    timestampMs: Date.now(),
  };
}

function event(offset: number, user: string, name: string): RawRecord {
  return {
    topic: EVENTS,
    partition: 0,
    offset: String(offset),
    key: Buffer.from(user),
    value: Buffer.from(JSON.stringify({ name, external_id: user, timestamp: 1_700_000_000_000 + offset, properties: {} })),
    headers: {},
    timestampMs: Date.now(),
  };
}

const silentLog = { info() {}, warn() {}, error() {} };
const OPTIONS = defaultPartnerOptions();
const FAST = { limit: 1_000_000, windowMs: 1000 };
type RecordDecoderLike = ConstructorParameters<typeof PipelineEngine>[0]['decoder'];

function setup(transport: FakeBrazeTransport, overrides: { decoder?: RecordDecoderLike; writeLetters?: (l: readonly DeadLetter[]) => Promise<void>; maxConcurrentRequests?: number; retryBaseMs?: number; maxInFlightOps?: number; maxAttempts?: number; lingerMs?: number; onConfigProblem?: (p: unknown) => void; configRetryMs?: number } = {}) {
  const letters: DeadLetter[] = [];
  const commits: Array<{ topic: string; partition: number; offset: string }> = [];
  const engine = new PipelineEngine({
    topics: new Map([[TOPIC, topicHandler('actioniq.audience-membership', OPTIONS)], [EVENTS, topicHandler('actioniq.events', OPTIONS)], [EXTOLE, topicHandler('extole.events', OPTIONS)]]),
    decoder: overrides.decoder ?? new RecordDecoder({ registryUrl: null }),
    deadLetters: { write: overrides.writeLetters ?? (async (l) => void letters.push(...l)) },
    committer: { commit: async (o) => void commits.push(...o) },
    braze: {
      transport,
      track: { mode: 'combined', maxObjects: 75, maxBytes: 1_000_000, lingerMs: overrides.lingerMs ?? 2 },
      retry: { maxAttempts: overrides.maxAttempts ?? 5, baseMs: overrides.retryBaseMs ?? 1, maxMs: Math.max(5, overrides.retryBaseMs ?? 1) },
      rates: { track: FAST, exportIds: FAST, subscriptionGet: FAST, subscriptionSet: FAST },
      rateShare: 1,
      maxConcurrentRequests: overrides.maxConcurrentRequests ?? 4,
      configRetryMs: overrides.configRetryMs ?? 20,
      identity: { maxEntries: 1000, foundTtlMs: 60_000, notFoundTtlMs: 60_000 },
    },
    maxInFlightOps: overrides.maxInFlightOps ?? 10_000,
    commitIntervalMs: 60_000,
    heartbeatEveryMs: 10,
    clock: systemClock,
    random: () => 0.5,
    observer: NOOP_OBSERVER,
    log: silentLog,
    ...(overrides.onConfigProblem ? { onConfigProblem: overrides.onConfigProblem } : {}),
  });
  const control: BatchControl & { resolved: string[] } = {
    resolved: [],
    resolveOffset(o) {
      this.resolved.push(o);
    },
    heartbeat: async () => {},
    isActive: () => true,
  };
  engine.onAssignment();
  return { engine, letters, commits, control };
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('PipelineEngine', () => {
  it('delivers every record and commits past the last one', async () => {
    const braze = new FakeBrazeTransport();
    const { engine, control } = setup(braze);
    await engine.handleBatch(TOPIC, 0, [membership(0, 'u1', true), membership(1, 'u2', false), membership(2, 'u3', true)], control);
    await until(() => engine.opsInFlight === 0);
    expect(engine.committable()).toEqual([{ topic: TOPIC, partition: 0, offset: '3' }]);
    expect(braze.objects().map((o) => o.object)).toEqual([
      { external_id: 'u1', AIQ_7_A: true },
      { external_id: 'u2', AIQ_7_A: false },
      { external_id: 'u3', AIQ_7_A: true },
    ]);
    // The consumer may move past every record taken in (resolved once per run of records, not per record).
    expect(control.resolved.at(-1)).toBe('2');
  });

  it('commits only up to the first record that is not yet delivered', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const braze = new FakeBrazeTransport(async (req) => {
      if (req.body.attributes?.some((a) => a.external_id === 'slow')) await held;
      return { status: 201 };
    });
    const { engine, control } = setup(braze, { lingerMs: 0 });
    await engine.handleBatch(TOPIC, 0, [membership(0, 'a', true)], control);
    await until(() => engine.opsInFlight === 0);
    await engine.handleBatch(TOPIC, 0, [membership(1, 'slow', true)], control);
    await until(() => braze.inFlight === 1);
    await engine.handleBatch(TOPIC, 0, [membership(2, 'b', true), membership(3, 'c', true)], control);
    await until(() => engine.opsInFlight === 1);
    expect(engine.committable()).toEqual([{ topic: TOPIC, partition: 0, offset: '1' }]);
    release();
    await until(() => engine.opsInFlight === 0);
    expect(engine.committable()).toEqual([{ topic: TOPIC, partition: 0, offset: '4' }]);
  });

  it('keeps one user\'s ops in record order across retries while other users proceed', async () => {
    let failures = 0;
    const accepted: string[] = [];
    let flakyInFlight = 0;
    let flakyOverlap = false;
    const braze = new FakeBrazeTransport(async (req) => {
      const flaky = (req.body.events ?? []).filter((e) => e.external_id === 'flaky');
      if (flaky.length > 0 && ++flakyInFlight > 1) flakyOverlap = true;
      await new Promise((r) => setTimeout(r, 1));
      if (flaky.length > 0) flakyInFlight--;
      if (flaky.length > 0 && failures < 3) {
        failures++;
        return { status: 503, body: { message: 'unavailable' } };
      }
      accepted.push(...flaky.map((e) => String(e.name)));
      return { status: 201 };
    });
    const { engine, control } = setup(braze, { lingerMs: 0 });
    const records = Array.from({ length: 30 }, (_, i) => event(i, i % 3 === 0 ? 'flaky' : `other${i}`, `e${i}`));
    await engine.handleBatch(EVENTS, 0, records, control);
    await until(() => engine.opsInFlight === 0);
    expect(failures).toBe(3);
    expect(flakyOverlap).toBe(false);
    expect(accepted).toEqual(records.filter((_, i) => i % 3 === 0).map((_, j) => `e${j * 3}`));
    const others = braze.objects().filter((o) => o.object.external_id !== 'flaky').map((o) => o.object.name);
    expect(new Set(others).size).toBe(20);
    expect(engine.committable()).toEqual([{ topic: EVENTS, partition: 0, offset: '30' }]);
  });

  it('dead-letters exactly the records behind the indexes of a 201 with errors', async () => {
    const braze = new FakeBrazeTransport((req) => {
      const idx = (req.body.attributes ?? []).findIndex((a) => a.external_id === 'rejected');
      return idx < 0 ? { status: 201 } : { status: 201, body: { message: 'success', errors: [{ type: 'EMAIL_BAD_FORMAT', input_array: 'attributes', index: idx }] } };
    });
    const { engine, control, letters } = setup(braze, { lingerMs: 5 });
    await engine.handleBatch(TOPIC, 0, [membership(0, 'ok1', true), membership(1, 'rejected', true), membership(2, 'ok2', true)], control);
    await until(() => engine.opsInFlight === 0 && letters.length === 1);
    expect(letters.map((l) => [l.record.offset, l.code, l.brazeErrorType])).toEqual([['1', 'braze_item_error', 'EMAIL_BAD_FORMAT']]);
    await until(() => engine.committable()[0]?.offset === '3');
  });

  it('bisects a rejected request until the offending record is isolated, delivering the rest', async () => {
    const braze = new FakeBrazeTransport((req) =>
      req.body.attributes?.some((a) => a.external_id === 'poison') ? { status: 400, body: { message: 'Invalid attribute' } } : { status: 201 },
    );
    const { engine, control, letters } = setup(braze, { lingerMs: 10 });
    const records = Array.from({ length: 20 }, (_, i) => membership(i, i === 13 ? 'poison' : `user${i}`, true));
    await engine.handleBatch(TOPIC, 0, records, control);
    await until(() => engine.opsInFlight === 0 && letters.length === 1);
    expect(letters[0]!.record.offset).toBe('13');
    expect(letters[0]!.code).toBe('braze_rejected');
    const delivered = new Set(braze.requests.filter((r) => !r.body.attributes?.some((a) => a.external_id === 'poison')).flatMap((r) => r.body.attributes!.map((a) => a.external_id)));
    expect(delivered.size).toBe(19);
    await until(() => engine.committable()[0]?.offset === '20');
  });

  it('sends the halves of a bisected batch one after the other, so one user\'s ops stay in order', async () => {
    const accepted: string[] = [];
    let sameInFlight = 0;
    let overlapped = false;
    const braze = new FakeBrazeTransport(async (req) => {
      const events = req.body.events ?? [];
      // The first two requests are slow, so everything after them queues up and leaves in one batch.
      if (events.some((e) => e.external_id === 'blocker')) await new Promise((r) => setTimeout(r, 30));
      const hasSame = events.some((e) => e.external_id === 'same');
      if (hasSame && ++sameInFlight > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 5));
      if (hasSame) sameInFlight--;
      if (events.some((e) => e.name === 'poison')) return { status: 400, body: { message: 'bad' } };
      accepted.push(...events.filter((e) => e.external_id === 'same').map((e) => String(e.name)));
      return { status: 201 };
    });
    const { engine, control, letters } = setup(braze, { lingerMs: 0, maxConcurrentRequests: 2 });
    const records = [event(0, 'blocker', 'b0'), event(1, 'blocker2', 'b1')];
    for (let i = 2; i < 22; i++) records.push(event(i, i % 2 === 0 ? 'same' : `u${i}`, i === 19 ? 'poison' : `e${i}`));
    await engine.handleBatch(EVENTS, 0, records, control);
    await until(() => engine.opsInFlight === 0 && letters.length === 1);
    expect(overlapped).toBe(false);
    expect(accepted).toEqual(['e2', 'e4', 'e6', 'e8', 'e10', 'e12', 'e14', 'e16', 'e18', 'e20']);
    expect(letters[0]!.record.offset).toBe('19');
  });

  it('dead-letters after the retry budget is spent, with a reason that says so', async () => {
    const braze = new FakeBrazeTransport(() => ({ status: 503 }));
    const { engine, control, letters } = setup(braze, { maxAttempts: 3 });
    await engine.handleBatch(TOPIC, 0, [membership(0, 'u1', true)], control);
    await until(() => letters.length === 1);
    expect(braze.requests).toHaveLength(3);
    expect(letters[0]!.code).toBe('braze_retries_exhausted');
  });

  it('dead-letters undecodable and unmappable records with their reasons and never stops', async () => {
    const braze = new FakeBrazeTransport();
    const { engine, control, letters } = setup(braze);
    const garbage: RawRecord = { ...membership(0, 'x', true), value: Buffer.from([0xff, 0xfe, 0x01]) };
    const badJson: RawRecord = { ...membership(1, 'x', true), value: Buffer.from('{"audience_id": ') };
    const noId = membership(2, null, true);
    await engine.handleBatch(TOPIC, 0, [garbage, badJson, noId, membership(3, 'fine', true)], control);
    await until(() => letters.length === 3 && engine.opsInFlight === 0);
    expect(letters.map((l) => [l.record.offset, l.code])).toEqual([['0', 'unknown_format'], ['1', 'invalid_json'], ['2', 'no_identifier']]);
    await until(() => engine.committable()[0]?.offset === '4');
  });

  it('pauses on a configuration error without dead-lettering, and resumes when Braze accepts again', async () => {
    let keyFixed = false;
    const braze = new FakeBrazeTransport(() => (keyFixed ? { status: 201 } : { status: 401, body: { message: 'Invalid API key' } }));
    const problems: unknown[] = [];
    const { engine, control, letters } = setup(braze, { onConfigProblem: (p) => problems.push(p), configRetryMs: 10 });
    await engine.handleBatch(TOPIC, 0, [membership(0, 'u1', true), membership(1, 'u2', true)], control);
    await until(() => problems.length === 1);
    expect(engine.sinks.configProblem?.status).toBe(401);
    await new Promise((r) => setTimeout(r, 40));
    expect(letters).toEqual([]);
    // Nothing past the first record may be committed while delivery is paused.
    expect(engine.committable().map((o) => o.offset)).toEqual(['0']);
    keyFixed = true;
    await until(() => engine.opsInFlight === 0);
    expect(problems).toEqual([{ endpoint: '/users/track', status: 401, message: 'Invalid API key' }, null]);
    expect(engine.committable()).toEqual([{ topic: TOPIC, partition: 0, offset: '2' }]);
  });

  it('holds the batch handler while the in-flight cap is reached (bounded memory)', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const braze = new FakeBrazeTransport(async () => {
      await held;
      return { status: 201 };
    });
    const { engine, control } = setup(braze, { maxInFlightOps: 5, lingerMs: 0 });
    const records = Array.from({ length: 12 }, (_, i) => membership(i, `u${i}`, true));
    let finished = false;
    const handling = engine.handleBatch(TOPIC, 0, records, control).then(() => (finished = true));
    await until(() => control.resolved.at(-1) === '4');
    await new Promise((r) => setTimeout(r, 30));
    expect(finished).toBe(false);
    expect(engine.opsInFlight).toBe(5);
    expect(control.resolved.at(-1)).toBe('4');
    release();
    await handling;
    await until(() => engine.opsInFlight === 0);
    expect(control.resolved.at(-1)).toBe('11');
  });

  it('lets other work run while it takes in a long fetched batch, so answers and timers are not held up', async () => {
    const braze = new FakeBrazeTransport();
    const { engine, control } = setup(braze, { lingerMs: 0 });
    const records = Array.from({ length: 3000 }, (_, i) => membership(i, `u${i}`, true));
    let finished = false;
    let ranWhileTaking = false;
    const handling = engine.handleBatch(TOPIC, 0, records, control).then(() => (finished = true));
    setImmediate(() => (ranWhileTaking = !finished));
    await handling;
    expect(ranWhileTaking).toBe(true);
    expect(control.resolved.at(-1)).toBe('2999');
  });

  it('drops the previous generation\'s queued work on a new assignment and never marks its records done', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const braze = new FakeBrazeTransport(async () => {
      await held;
      return { status: 201 };
    });
    const { engine, control } = setup(braze, { lingerMs: 0 });
    await engine.handleBatch(EVENTS, 0, [event(0, 'u1', 'a'), event(1, 'u1', 'b')], control);
    await until(() => engine.sinks.inFlight >= 1);
    engine.onAssignment();
    expect(engine.sinks.queued).toBe(0);
    release();
    await until(() => engine.opsInFlight === 0);
    expect(engine.committable()).toEqual([]);
  });

  it('flushes queued work and commits on shutdown', async () => {
    const braze = new FakeBrazeTransport();
    const { engine, control, commits } = setup(braze, { lingerMs: 60_000 });
    await engine.handleBatch(TOPIC, 0, [membership(0, 'u1', true), membership(1, 'u2', true)], control);
    expect(braze.requests).toHaveLength(0);
    const { drained } = await engine.shutdown(5000);
    expect(drained).toBe(true);
    expect(braze.requests).toHaveLength(1);
    expect(commits).toEqual([{ topic: TOPIC, partition: 0, offset: '2' }]);
  });

  it('resumes after a configuration error even when the probe first meets a 503', async () => {
    const answers = [401, 503];
    const braze = new FakeBrazeTransport(() => ({ status: answers.shift() ?? 201 }));
    const problems: unknown[] = [];
    const { engine, control, letters } = setup(braze, { onConfigProblem: (p) => problems.push(p), configRetryMs: 10 });
    await engine.handleBatch(TOPIC, 0, [membership(0, 'u1', true)], control);
    await until(() => engine.opsInFlight === 0);
    expect(braze.requests.length).toBe(3);
    expect(problems).toEqual([{ endpoint: '/users/track', status: 401, message: 'success' }, null]);
    expect(letters).toEqual([]);
    expect(engine.sinks.configProblem).toBeNull();
    expect(engine.committable()).toEqual([{ topic: TOPIC, partition: 0, offset: '1' }]);
  });

  it('does not resend a previous generation\'s op that was waiting for a retry', async () => {
    let calls = 0;
    const braze = new FakeBrazeTransport(() => (++calls === 1 ? { status: 503 } : { status: 201 }));
    const { engine, control } = setup(braze, { lingerMs: 0, retryBaseMs: 40 });
    await engine.handleBatch(EVENTS, 0, [event(0, 'u1', 'old')], control);
    await until(() => calls === 1 && braze.inFlight === 0);
    engine.onAssignment();
    await new Promise((r) => setTimeout(r, 80));
    expect(braze.requests.length).toBe(1);
    expect(engine.opsInFlight).toBe(0);
    // The key is free again for the new generation.
    await engine.handleBatch(EVENTS, 0, [event(0, 'u1', 'again')], control);
    await until(() => engine.opsInFlight === 0);
    expect(braze.objects().map((o) => o.object.name)).toEqual(['old', 'again']);
  });

  it('neither dispatches nor resolves a record whose decoding finished after a new generation began', async () => {
    let release!: (v: { ok: true; value: unknown; format: 'json' }) => void;
    const decoder: RecordDecoderLike = { decode: () => new Promise((r) => (release = r)) };
    const braze = new FakeBrazeTransport();
    const { engine, control } = setup(braze, { decoder });
    const handling = engine.handleBatch(TOPIC, 0, [membership(0, 'u1', true)], control);
    await new Promise((r) => setTimeout(r, 5));
    engine.onAssignment();
    release({ ok: true, value: { audience_id: '7', split_id: 'A', member: true, external_id: 'u1', updated_at: 1 }, format: 'json' });
    await handling;
    await new Promise((r) => setTimeout(r, 10));
    expect(control.resolved).toEqual([]);
    expect(braze.requests).toEqual([]);
  });

  it('counts unwritten dead letters against the in-flight cap, so a failing dead-letter topic stops fetching', async () => {
    let healthy = false;
    const written: DeadLetter[] = [];
    const braze = new FakeBrazeTransport();
    const { engine, control } = setup(braze, {
      maxInFlightOps: 5,
      writeLetters: async (l) => {
        if (!healthy) throw Object.assign(new Error('broker down'), { retryable: true });
        written.push(...l);
      },
    });
    const records = Array.from({ length: 12 }, (_, i) => membership(i, null, true));
    let finished = false;
    const handling = engine.handleBatch(TOPIC, 0, records, control).then(() => (finished = true));
    await until(() => control.resolved.at(-1) === '4');
    await new Promise((r) => setTimeout(r, 30));
    expect(finished).toBe(false);
    expect(control.resolved.at(-1)).toBe('4');
    healthy = true;
    await handling;
    await until(() => written.length === 12, 15_000);
    await until(() => engine.committable()[0]?.offset === '12');
  });

  it('splits a dead-letter batch the broker refuses and writes a letter it still refuses without its value', async () => {
    const written: DeadLetter[] = [];
    const braze = new FakeBrazeTransport();
    const { engine, control } = setup(braze, {
      writeLetters: async (l) => {
        if (l.length > 1 || (l[0]!.record.offset === '1' && l[0]!.record.value !== null)) throw Object.assign(new Error('MESSAGE_TOO_LARGE'), { retryable: false });
        written.push(...l);
      },
    });
    await engine.handleBatch(TOPIC, 0, [membership(0, null, true), membership(1, null, true), membership(2, null, true)], control);
    await until(() => written.length === 3);
    expect(written.map((l) => [l.record.offset, l.record.value === null, l.valueDropped !== undefined])).toEqual([
      ['0', false, false],
      ['1', true, true],
      ['2', false, false],
    ]);
    await until(() => engine.committable()[0]?.offset === '3');
  });

  describe('a look-up flow', () => {
    it('dead-letters the record when Braze refuses the look-up, and writes nothing for it', async () => {
      const braze = new FakeBrazeTransport((req) => (req.path === '/users/export/ids' ? { status: 400, body: { message: 'invalid email' } } : { status: 201 }));
      const { engine, control, letters } = setup(braze);
      await engine.handleBatch(EXTOLE, 0, [extoleByEmail(0, 'a@example.com')], control);
      await until(() => letters.length === 1);
      expect(letters[0]).toMatchObject({ code: 'braze_rejected' });
      expect(braze.requests.map((r) => r.path)).toEqual(['/users/export/ids']);
      await until(() => engine.committable().length > 0);
      expect(engine.committable()).toEqual([{ topic: EXTOLE, partition: 0, offset: '1' }]);
    });

    it('retries a look-up that timed out or was rate-limited, then finishes the flow', async () => {
      let n = 0;
      const braze = new FakeBrazeTransport((req) => {
        if (req.path !== '/users/export/ids') return { status: 201 };
        n++;
        if (n === 1) return new Error('timeout');
        if (n === 2) return { status: 429, body: { message: 'slow down' } };
        return { status: 201, body: { users: [{ external_id: 'crm-1' }] } };
      });
      const { engine, control, letters } = setup(braze);
      await engine.handleBatch(EXTOLE, 0, [extoleByEmail(0, 'a@example.com')], control);
      await until(() => engine.opsInFlight === 0 && braze.requests.some((r) => r.path === '/users/track'));
      expect(letters).toEqual([]);
      expect(braze.requests.map((r) => r.path)).toEqual(['/users/export/ids', '/users/export/ids', '/users/export/ids', '/users/track']);
      expect(braze.objects().map((o) => [o.array, o.object.external_id])).toEqual([['attributes', 'crm-1'], ['events', 'crm-1']]);
      await until(() => engine.committable().length > 0);
      expect(engine.committable()).toEqual([{ topic: EXTOLE, partition: 0, offset: '1' }]);
    });

    it('holds the offset until the flow\'s last step is delivered', async () => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const braze = new FakeBrazeTransport(async (req) => {
        if (req.path === '/users/export/ids') return { status: 201, body: { users: [] } };
        await held;
        return { status: 201 };
      });
      const { engine, control } = setup(braze);
      await engine.handleBatch(EXTOLE, 0, [extoleByEmail(0, 'a@example.com')], control);
      await until(() => braze.requests.some((r) => r.path === '/users/track'));
      expect(engine.committable().map((o) => o.offset)).not.toContain('1');
      release();
      await until(() => engine.opsInFlight === 0);
      expect(engine.committable()).toEqual([{ topic: EXTOLE, partition: 0, offset: '1' }]);
      // The created alias-only profile is remembered: the next record for the email asks Braze nothing.
      await engine.handleBatch(EXTOLE, 0, [extoleByEmail(1, 'a@example.com')], control);
      await until(() => engine.opsInFlight === 0);
      expect(braze.requests.filter((r) => r.path === '/users/export/ids')).toHaveLength(1);
      expect(braze.objects().filter((o) => o.array === 'attributes').map((o) => o.object)).toEqual([
        { user_alias: { alias_name: 'a@example.com', alias_label: 'email' }, email: 'a@example.com', _update_existing_only: false },
        { user_alias: { alias_name: 'a@example.com', alias_label: 'email' }, email: 'a@example.com' },
      ]);
    });
  });

  it('says in the dead letter what of the record was delivered when Braze refused only part of it', async () => {
    const braze = new FakeBrazeTransport((req) =>
      req.body.attributes ? { status: 201, body: { message: 'success', errors: [{ type: 'bad attribute', input_array: 'attributes', index: 0 }] } } : { status: 201 });
    const { engine, control, letters } = setup(braze);
    const value = { event_id: 'e1', kind: 'program_event', name: 'extole_shared', occurred_at: 1_700_000_000_000, partner_user_id: 'p-1', email: 'a@example.com', properties: {} };
    await engine.handleBatch(EXTOLE, 0, [{ ...extoleByEmail(0, 'a@example.com'), value: Buffer.from(JSON.stringify(value)) }], control);
    await until(() => letters.length === 1);
    expect(letters[0]).toMatchObject({ code: 'braze_item_error', delivered: '1 of 2 ops delivered: track.event' });
  });

  it('commits a record whose dead letter was still being written when the shutdown deadline passed', async () => {
    let release!: () => void;
    const writing = new Promise<void>((r) => (release = r));
    const written: DeadLetter[] = [];
    const braze = new FakeBrazeTransport();
    const { engine, control, commits } = setup(braze, { writeLetters: async (l) => { await writing; written.push(...l); } });
    // No identifier: dead-lettered at once.
    await engine.handleBatch(TOPIC, 0, [membership(0, null, true)], control);
    const stopped = engine.shutdown(20);
    await new Promise((r) => setTimeout(r, 40));
    release();
    await stopped;
    expect(written).toHaveLength(1);
    expect(commits).toContainEqual({ topic: TOPIC, partition: 0, offset: '1' });
  });

  it('lets one partition wait for its schemas while another partition delivers (the consumer takes partitions in parallel)', async () => {
    const braze = new FakeBrazeTransport();
    const real = new RecordDecoder({ registryUrl: null });
    const waiting = { retryable: true, code: 'schema_registry_unreachable', message: 'registry away' };
    const decoder = { decode: (r: RawRecord) => (r.partition === 0 ? Promise.reject(waiting) : real.decode(r)) };
    const { engine, control } = setup(braze, { decoder });
    let stuckDone = false;
    const active = { ...control, isActive: () => !stuckDone };
    const stuck = engine.handleBatch(TOPIC, 0, [membership(0, 'p0-user', true)], active).then(() => (stuckDone = true));
    await engine.handleBatch(TOPIC, 1, [{ ...membership(0, 'p1-user', true), partition: 1 }], control);
    await until(() => braze.objects().length === 1);
    expect(braze.objects()[0]!.object.external_id).toBe('p1-user');
    expect(engine.decodeProblem).toMatchObject({ code: 'schema_registry_unreachable' });
    stuckDone = true;
    await stuck;
  });
});
