import { describe, expect, it } from 'vitest';
import { SinkRunner, type OpOutcome } from '../../../src/pipeline/sink-runner.js';
import { usersTrackSink } from '../../../src/core/sinks/users-track.js';
import { identityResolverSink } from '../../../src/core/sinks/users-export-ids.js';
import { subscriptionStatusSetSink } from '../../../src/core/sinks/subscription-status.js';
import { IdentityCache } from '../../../src/core/identity-cache.js';
import { NOOP_OBSERVER, type BrazeHttpResponse } from '../../../src/core/ports.js';
import type { Op } from '../../../src/core/ops.js';
import { FakeClock, settle } from '../../helpers/fake-clock.js';

interface Call {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body: any;
  answer(status: number, body?: unknown, headers?: Record<string, string>): void;
  fail(): void;
}

/** A transport whose every request waits until the test answers it. */
class HeldTransport {
  readonly calls: Call[] = [];

  post(path: string, body: unknown, _signal?: AbortSignal, json?: string): Promise<BrazeHttpResponse> {
    return this.hold('POST', path, json === undefined ? structuredClone(body) : JSON.parse(json));
  }

  get(path: string, query: unknown): Promise<BrazeHttpResponse> {
    return this.hold('GET', path, structuredClone(query));
  }

  open(path?: string): Call[] {
    return this.calls.filter((c) => !(c as { done?: boolean }).done && (path === undefined || c.path === path));
  }

  private hold(method: 'GET' | 'POST', path: string, body: unknown): Promise<BrazeHttpResponse> {
    return new Promise((resolve, reject) => {
      const call = {
        method, path, body, done: false,
        answer: (status: number, b: unknown = { message: 'success' }, headers: Record<string, string> = {}) => {
          call.done = true;
          resolve({ status, body: b, headers: (n) => headers[n.toLowerCase()] });
        },
        fail: () => {
          call.done = true;
          reject(new Error('socket hang up'));
        },
      };
      this.calls.push(call);
    });
  }
}

interface Ticket {
  readonly name: string;
  generation: number;
}

function setup(options: { clock?: FakeClock; lingerMs?: number; maxAttempts?: number; maxElapsedMs?: number; ambiguityWindowMs?: number; exportLimit?: number; continueWith?: (t: Ticket, op: Op, o: OpOutcome) => Op[] | void } = {}) {
  const clock = options.clock ?? new FakeClock();
  const transport = new HeldTransport();
  const outcomes: Array<{ ticket: string; op: Op; outcome: OpOutcome }> = [];
  const availability: Array<[string, boolean]> = [];
  let generation = 1;
  const cache = new IdentityCache({ maxEntries: 100, foundTtlMs: 60_000, notFoundTtlMs: 10_000 });
  const identity = identityResolverSink(cache);
  const fast = { limit: 1_000_000, windowMs: 1000 };
  const runner = new SinkRunner<Ticket>({
    transport,
    retry: { maxAttempts: options.maxAttempts ?? 5, baseMs: 100, maxMs: 1000, ...(options.maxElapsedMs === undefined ? {} : { maxElapsedMs: options.maxElapsedMs }) },
    ...(options.ambiguityWindowMs === undefined ? {} : { ambiguityWindowMs: options.ambiguityWindowMs }),
    onAvailability: (endpoint, available) => availability.push([endpoint, available]),
    rateShare: 1,
    configRetryMs: 5000,
    sinks: [
      { policy: usersTrackSink({ mode: 'combined', maxObjects: 75, maxBytes: 1_000_000, lingerMs: options.lingerMs ?? 10 }), rate: fast, maxConcurrentRequests: 4 },
      { policy: identity, rate: { limit: options.exportLimit ?? 1_000_000, windowMs: 60_000 }, maxConcurrentRequests: 4 },
      { policy: subscriptionStatusSetSink(options.lingerMs ?? 10), rate: fast, maxConcurrentRequests: 4 },
    ],
    clock,
    random: () => 0.5,
    observer: NOOP_OBSERVER,
    isCurrent: (t) => t.generation === generation,
    onOutcome: (ticket, op, outcome) => {
      outcomes.push({ ticket: ticket.name, op, outcome });
      return options.continueWith?.(ticket, op, outcome);
    },
  });
  return {
    clock, transport, runner, outcomes, identity, cache, availability,
    newGeneration: () => void generation++,
    ticket: (name: string): Ticket => ({ name, generation }),
  };
}

const attrs = (user: string, value: number): Op => ({ kind: 'track.attributes', user: { external_id: user }, attributes: { n: value } });
const event = (user: string, name: string): Op => ({ kind: 'track.event', user: { external_id: user }, name, time: '2024-01-01T00:00:00.000Z' });
const lookup = (email: string): Op => ({ kind: 'identity.lookup', email });

describe('SinkRunner', () => {
  it('sends a partly filled batch once it has lingered, and a full one at once', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 50 });
    for (let i = 0; i < 80; i++) runner.push(attrs(`u${i}`, i), ticket(`r${i}`));
    await settle();
    expect(transport.calls.map((c) => c.body.attributes.length)).toEqual([75]);
    await clock.advance(49);
    expect(transport.calls).toHaveLength(1);
    await clock.advance(1);
    expect(transport.calls.map((c) => c.body.attributes.length)).toEqual([75, 5]);
    for (const c of transport.open()) c.answer(201);
    await settle();
    expect(outcomes).toHaveLength(80);
    expect(outcomes.every((o) => o.outcome.delivered)).toBe(true);
    expect(runner.size).toBe(0);
  });

  it('sends an op that falls due between two readings of the clock in one pass', async () => {
    // Every reading is 1 ms later than the one before, as on a busy machine: an op may be not yet due when a sink
    // looks and due when the runner asks what to wake up for. Whatever the instant, it must still go out.
    class MovingClock extends FakeClock {
      private drift = 0;
      override now(): number {
        return super.now() + this.drift++;
      }
    }
    const stranded: number[] = [];
    for (let offset = 1; offset <= 40; offset++) {
      const clock = new MovingClock();
      const { transport, runner, ticket } = setup({ lingerMs: 0, clock });
      runner.push(attrs('a', 1), ticket('a1'), 'external_id:a', clock.now() + offset);
      await clock.advance(offset + 100);
      if (transport.calls.length !== 1) stranded.push(offset);
    }
    expect(stranded).toEqual([]);
  });

  it('dead-letters only the objects Braze names in errors[], with every op merged into them', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup();
    runner.push(attrs('a', 1), ticket('a1'));
    runner.push(attrs('b', 1), ticket('b1'));
    runner.push(attrs('b', 2), ticket('b2'));
    await clock.advance(10);
    expect(transport.calls[0]!.body.attributes).toEqual([{ external_id: 'a', n: 1 }, { external_id: 'b', n: 2 }]);
    transport.calls[0]!.answer(201, { message: 'success', errors: [{ type: 'bad value', input_array: 'attributes', index: 1 }] });
    await settle();
    expect(outcomes.map((o) => [o.ticket, o.outcome.delivered])).toEqual([['a1', true], ['b1', false], ['b2', false]]);
    expect(outcomes[1]!.outcome).toMatchObject({ code: 'braze_item_error', brazeErrorType: 'bad value' });
  });

  it('retries a failed request after a backoff, keeping the user\'s later op behind it', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0 });
    const names = (c: Call) => c.body.events.map((e: any) => `${e.external_id}:${e.name}`);
    runner.push(event('u', 'first'), ticket('first'));
    await settle();
    runner.push(event('u', 'second'), ticket('second'));
    runner.push(event('v', 'other'), ticket('other'));
    await settle();
    // u's second op waits behind the first, in flight; v is not held back.
    expect(transport.calls.map(names)).toEqual([['u:first'], ['v:other']]);
    transport.calls[0]!.answer(503, { message: 'unavailable' });
    transport.calls[1]!.answer(201);
    await settle();
    expect(transport.open()).toHaveLength(0);
    // Full jitter with random 0.5: the first retry waits 50 ms.
    await clock.advance(49);
    expect(transport.open()).toHaveLength(0);
    await clock.advance(1);
    // The retried op goes first; the user's next op may ride behind it in the same request, in order.
    expect(transport.open().map(names)).toEqual([['u:first', 'u:second']]);
    transport.open()[0]!.answer(201);
    await settle();
    expect(outcomes.map((o) => o.ticket)).toEqual(['other', 'first', 'second']);
  });

  it('dead-letters after the last attempt', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0, maxAttempts: 2 });
    runner.push(attrs('u', 1), ticket('r'));
    await settle();
    transport.open()[0]!.fail();
    await clock.advance(1000);
    transport.open()[0]!.answer(500, { message: 'boom' });
    await settle();
    expect(outcomes.map((o) => o.outcome)).toEqual([{ delivered: false, code: 'braze_retries_exhausted', detail: 'gave up after 2 attempts in 1000 ms (last: server-error 500)' }]);
  });

  it('isolates the op Braze refuses by splitting the batch, and delivers the rest', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0 });
    for (const u of ['a', 'b', 'bad', 'c']) runner.push(attrs(u, 1), ticket(u));
    await settle();
    let guard = 0;
    while (transport.open().length > 0 && guard++ < 20) {
      for (const c of transport.open()) {
        const users = c.body.attributes.map((a: any) => a.external_id);
        c.answer(users.includes('bad') ? 400 : 201, { message: users.includes('bad') ? 'bad request' : 'success' });
      }
      await clock.advance(0);
    }
    expect(transport.calls.map((c) => c.body.attributes.length)).toEqual([4, 2, 2, 1, 1]);
    const byTicket = Object.fromEntries(outcomes.map((o) => [o.ticket, o.outcome.delivered]));
    expect(byTicket).toEqual({ a: true, b: true, bad: false, c: true });
    expect(outcomes.find((o) => o.ticket === 'bad')!.outcome).toMatchObject({ code: 'braze_rejected' });
  });

  it('abandons the ops of an older generation instead of resending them', async () => {
    const { clock, transport, runner, outcomes, ticket, newGeneration } = setup({ lingerMs: 0 });
    runner.push(attrs('u', 1), ticket('old'));
    await settle();
    newGeneration();
    transport.open()[0]!.answer(503);
    await clock.advance(5000);
    expect(transport.calls).toHaveLength(1);
    expect(outcomes).toEqual([]);
    expect(runner.size).toBe(0);
  });

  it('drops an old generation\'s ops from a lingering batch but keeps the current ones', async () => {
    const { clock, transport, runner, outcomes, ticket, newGeneration } = setup({ lingerMs: 100 });
    runner.push(attrs('old', 1), ticket('old'));
    await settle();
    newGeneration();
    runner.push(attrs('new', 1), ticket('new'));
    runner.abandonStale();
    await clock.advance(100);
    expect(transport.calls.map((c) => c.body.attributes)).toEqual([[{ external_id: 'new', n: 1 }]]);
    transport.calls[0]!.answer(201);
    await settle();
    expect(outcomes.map((o) => o.ticket)).toEqual(['new']);
  });

  it('keeps one key\'s ops in order across two sinks: the write waits for the look-up', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0 });
    runner.push(lookup('a@example.com'), ticket('lookup'), 'email:a@example.com');
    runner.push(attrs('x', 1), ticket('write'), 'email:a@example.com');
    runner.push(attrs('other', 1), ticket('other'));
    await clock.advance(0);
    expect(transport.open().map((c) => c.path).sort()).toEqual(['/users/export/ids', '/users/track']);
    expect(transport.open('/users/track')[0]!.body.attributes).toEqual([{ external_id: 'other', n: 1 }]);
    transport.open('/users/export/ids')[0]!.answer(201, { users: [], message: 'success' });
    await clock.advance(0);
    expect(transport.open('/users/track').map((c) => c.body.attributes)).toEqual([[{ external_id: 'other', n: 1 }], [{ external_id: 'x', n: 1 }]]);
    for (const c of transport.open()) c.answer(201);
    await settle();
    expect(outcomes.map((o) => o.ticket)).toEqual(['lookup', 'other', 'write']);
    expect(outcomes[0]!.outcome).toEqual({ delivered: true, answer: { found: false } });
  });

  it('puts the ops that continue a flow ahead of the key\'s later ops', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({
      lingerMs: 0,
      continueWith: (t, op) => (t.name === 'flow' && op.kind === 'identity.lookup' ? [event('x', 'continued')] : undefined),
    });
    runner.push(lookup('a@example.com'), ticket('flow'), 'email:a@example.com');
    runner.push(event('x', 'later record'), ticket('later'), 'email:a@example.com');
    await clock.advance(0);
    transport.open()[0]!.answer(201, { users: [{ external_id: 'x' }] });
    await clock.advance(0);
    expect(transport.open('/users/track').map((c) => c.body.events.map((e: any) => e.name))).toEqual([['continued', 'later record']]);
    transport.open()[0]!.answer(201);
    await settle();
    expect(outcomes.map((o) => o.ticket)).toEqual(['flow', 'flow', 'later']);
  });

  it('answers a look-up from the cache, and coalesces concurrent look-ups of one email into one request', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0 });
    runner.push(lookup('a@example.com'), ticket('one'), 'k1');
    runner.push(lookup('a@example.com'), ticket('two'), 'k2');
    await clock.advance(0);
    expect(transport.calls).toHaveLength(1);
    expect(transport.calls[0]!.body).toEqual({ email_address: 'a@example.com', fields_to_export: ['external_id', 'braze_id', 'user_aliases'] });
    transport.calls[0]!.answer(201, { users: [{ braze_id: 'b1' }, { external_id: 'c-9', braze_id: 'b2' }] });
    await settle();
    runner.push(lookup('a@example.com'), ticket('three'), 'k3');
    await clock.advance(0);
    expect(transport.calls).toHaveLength(1);
    const found = { delivered: true, answer: { found: true, user: { external_id: 'c-9' }, profiles: 2 } };
    expect(outcomes).toEqual([
      { ticket: 'one', op: lookup('a@example.com'), outcome: found },
      { ticket: 'two', op: lookup('a@example.com'), outcome: found },
      { ticket: 'three', op: lookup('a@example.com'), outcome: found },
    ]);
  });

  it('sends a look-up refused with a 429 again with the look-ups that shared it, from one key or several', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0 });
    // Two records of one email under one key (an Extole flow key), and one under another key, in one run.
    runner.push(lookup('a@example.com'), ticket('one'), 'email:a@example.com');
    runner.push(lookup('a@example.com'), ticket('two'), 'email:a@example.com');
    runner.push(lookup('a@example.com'), ticket('three'), 'other');
    await clock.advance(0);
    expect(transport.open()).toHaveLength(1);
    transport.open()[0]!.answer(429, { message: 'rate limited' }, { 'x-ratelimit-retry-after': '1' });
    await clock.advance(1500);
    expect(transport.open()).toHaveLength(1);
    transport.open()[0]!.answer(201, { users: [] });
    await clock.advance(0);
    expect(transport.open()).toHaveLength(0);
    expect(outcomes.map((o) => [o.ticket, o.outcome.delivered])).toEqual([['one', true], ['two', true], ['three', true]]);
    expect(runner.size).toBe(0);
  });

  it('sends a look-up whose request failed again with the look-ups that shared it', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0 });
    runner.push(lookup('a@example.com'), ticket('one'), 'email:a@example.com');
    runner.push(lookup('a@example.com'), ticket('two'), 'email:a@example.com');
    await clock.advance(0);
    transport.open()[0]!.fail();
    await clock.advance(5000);
    expect(transport.open()).toHaveLength(1);
    transport.open()[0]!.answer(201, { users: [] });
    await clock.advance(0);
    expect(outcomes.map((o) => o.ticket)).toEqual(['one', 'two']);
    expect(runner.size).toBe(0);
  });

  it('remembers a profile this instance created, so no look-up asks Braze for it', async () => {
    const { clock, transport, runner, outcomes, ticket, identity } = setup({ lingerMs: 0 });
    identity.remember('new@example.com', { user_alias: { alias_name: 'new@example.com', alias_label: 'email' } }, clock.now());
    runner.push(lookup('new@example.com'), ticket('r'));
    await clock.advance(0);
    expect(transport.calls).toHaveLength(0);
    expect(outcomes[0]!.outcome).toEqual({ delivered: true, answer: { found: true, user: { user_alias: { alias_name: 'new@example.com', alias_label: 'email' } }, profiles: 1 } });
  });

  it('keeps look-ups within their own budget while /users/track goes on', async () => {
    const { clock, transport, runner, ticket } = setup({ lingerMs: 0, exportLimit: 2 });
    for (let i = 0; i < 4; i++) runner.push(lookup(`e${i}@example.com`), ticket(`l${i}`));
    runner.push(attrs('u', 1), ticket('w'));
    await clock.advance(0);
    expect(transport.open('/users/export/ids')).toHaveLength(2);
    expect(transport.open('/users/track')).toHaveLength(1);
    for (const c of transport.open()) c.answer(201, { users: [] });
    await clock.advance(29_000);
    expect(transport.calls.filter((c) => c.path === '/users/export/ids')).toHaveLength(2);
    await clock.advance(31_000);
    expect(transport.calls.filter((c) => c.path === '/users/export/ids')).toHaveLength(4);
  });

  it('waits out a 429 on a look-up and loses nothing', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0 });
    runner.push(lookup('a@example.com'), ticket('r'));
    await clock.advance(0);
    transport.open()[0]!.answer(429, { message: 'rate limited' }, { 'x-ratelimit-retry-after': '2' });
    await clock.advance(1000);
    expect(transport.open()).toHaveLength(0);
    await clock.advance(1500);
    expect(transport.open()).toHaveLength(1);
    transport.open()[0]!.answer(201, { users: [] });
    await settle();
    expect(outcomes.map((o) => o.outcome)).toEqual([{ delivered: true, answer: { found: false } }]);
  });

  it('stops a sink whose endpoint Braze refuses (401), probes it, and resumes without dead-lettering', async () => {
    const problems: unknown[] = [];
    const env = setup({ lingerMs: 0 });
    const runner = new SinkRunner<Ticket>({
      ...(env.runner as any).options,
      onConfigProblem: (p: unknown) => problems.push(p),
    });
    runner.push(lookup('a@example.com'), env.ticket('r'));
    await env.clock.advance(0);
    env.transport.open()[0]!.answer(401, { message: 'Invalid API key' });
    await env.clock.advance(4999);
    expect(env.transport.calls).toHaveLength(1);
    expect(runner.configProblem).toEqual({ endpoint: '/users/export/ids', status: 401, message: 'Invalid API key' });
    await env.clock.advance(1);
    expect(env.transport.open()).toHaveLength(1);
    env.transport.open()[0]!.answer(201, { users: [] });
    await settle();
    expect(problems).toEqual([{ endpoint: '/users/export/ids', status: 401, message: 'Invalid API key' }, null]);
    expect(env.outcomes.map((o) => o.outcome.delivered)).toEqual([true]);
  });

  it('reports an unexpected error while pumping and looks at its queues again a second later', async () => {
    const errors: unknown[] = [];
    const env = setup({ lingerMs: 0 });
    const options = (env.runner as any).options;
    const track = options.sinks[0].policy;
    let failures = 1;
    const flaky = { ...track, newBatch: (now: number) => {
      if (failures-- > 0) throw new Error('a bug in a batch');
      return track.newBatch(now);
    } };
    const runner = new SinkRunner<Ticket>({ ...options, sinks: [{ ...options.sinks[0], policy: flaky }, ...options.sinks.slice(1)], onError: (e: unknown) => errors.push(e) });
    runner.push(attrs('a', 1), env.ticket('a1'));
    await env.clock.advance(0);
    expect(errors.map((e) => (e as Error).message)).toEqual(['a bug in a batch']);
    expect(env.transport.calls).toHaveLength(0);
    await env.clock.advance(1000);
    expect(env.transport.calls).toHaveLength(1);
  });

  it('merges subscription changes of one group and state into one request', async () => {
    const { clock, transport, runner, outcomes, ticket } = setup();
    const set = (phone: string, state: 'subscribed' | 'unsubscribed'): Op => ({ kind: 'subscription.set', groupId: 'g1', state, subscriber: { phone } });
    runner.push(set('+15550000001', 'subscribed'), ticket('a'));
    runner.push(set('+15550000002', 'subscribed'), ticket('b'));
    runner.push(set('+15550000003', 'unsubscribed'), ticket('c'));
    await clock.advance(10);
    expect(transport.calls.map((c) => c.body)).toEqual([{
      subscription_groups: [
        { subscription_group_id: 'g1', subscription_state: 'subscribed', phones: ['+15550000001', '+15550000002'] },
        { subscription_group_id: 'g1', subscription_state: 'unsubscribed', phones: ['+15550000003'] },
      ],
    }]);
    transport.calls[0]!.answer(201);
    await settle();
    expect(outcomes.map((o) => o.outcome.delivered)).toEqual([true, true, true]);
  });

  describe('infrastructure trouble', () => {
    it('waits out an outage of any length without dead-lettering, says when it starts and ends, and delivers', async () => {
      const { clock, transport, runner, outcomes, ticket, availability } = setup({ lingerMs: 0, maxAttempts: Number.MAX_SAFE_INTEGER });
      runner.push(attrs('u', 1), ticket('r'));
      await settle();
      for (let i = 0; i < 30; i++) {
        transport.open()[0]!.answer(503, { message: 'unavailable' });
        await clock.advance(1000);
      }
      expect(outcomes).toEqual([]);
      expect(availability).toEqual([['/users/track', false]]);
      expect(runner.unavailable).toEqual(['/users/track']);
      transport.open()[0]!.answer(201);
      await settle();
      expect(outcomes.map((o) => o.outcome.delivered)).toEqual([true]);
      expect(availability).toEqual([['/users/track', false], ['/users/track', true]]);
      expect(runner.unavailable).toEqual([]);
    });

    it('dead-letters only once braze.retry.maxElapsedMs has passed since the first failure, when it is set', async () => {
      const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0, maxAttempts: Number.MAX_SAFE_INTEGER, maxElapsedMs: 5000 });
      runner.push(attrs('u', 1), ticket('r'));
      await settle();
      for (let i = 0; i < 5; i++) {
        transport.open()[0]!.answer(500);
        await clock.advance(1000);
      }
      expect(outcomes).toEqual([]);
      transport.open()[0]!.answer(500);
      await settle();
      expect(outcomes.map((o) => o.outcome)).toMatchObject([{ delivered: false, code: 'braze_retries_exhausted' }]);
    });

    it('resends a request whose outcome is unknown only after the ambiguity window, with the user\'s later write behind it', async () => {
      const { clock, transport, runner, outcomes, ticket } = setup({ lingerMs: 0, ambiguityWindowMs: 10_000 });
      runner.push(event('u', 'first'), ticket('first'));
      await settle();
      runner.push(event('u', 'second'), ticket('second'));
      transport.open()[0]!.fail(); // timed out or reset: it may still land
      await clock.advance(9_999);
      expect(transport.open()).toHaveLength(0);
      await clock.advance(1);
      expect(transport.open().map((c) => c.body.events.map((e: any) => e.name))).toEqual([['first', 'second']]);
      transport.open()[0]!.answer(201);
      await settle();
      expect(outcomes.map((o) => o.ticket)).toEqual(['first', 'second']);
    });

    it('holds an op pushed with a not-before instant, and only its own key', async () => {
      const { clock, transport, runner, ticket } = setup({ lingerMs: 0 });
      runner.push(attrs('held', 1), ticket('held'), undefined, clock.now() + 5000);
      runner.push(attrs('free', 1), ticket('free'));
      await clock.advance(0);
      expect(transport.open().map((c) => c.body.attributes[0].external_id)).toEqual(['free']);
      await clock.advance(5000);
      expect(transport.open().map((c) => c.body.attributes[0].external_id)).toEqual(['free', 'held']);
    });
  });
});
