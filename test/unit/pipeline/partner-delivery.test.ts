import { describe, expect, it } from 'vitest';
import { SinkRunner, type OpOutcome } from '../../../src/pipeline/sink-runner.js';
import { movableInkSink } from '../../../src/core/sinks/movable-ink.js';
import { quiklyWebhookSink } from '../../../src/core/sinks/quikly-webhook.js';
import { NOOP_OBSERVER, type BrazeHttpResponse, type PartnerTransport } from '../../../src/core/ports.js';
import type { MovableInkOp, Op } from '../../../src/core/ops.js';
import { FakeClock, settle } from '../../helpers/fake-clock.js';

interface Call {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: any;
  answer(status: number): void;
  fail(): void;
  done: boolean;
}

/** A partner transport whose every request waits until the test answers it. */
class HeldPartners implements PartnerTransport {
  readonly calls: Call[] = [];
  post(url: string, headers: Readonly<Record<string, string>>, body: unknown): Promise<BrazeHttpResponse> {
    return new Promise((resolve, reject) => {
      const call: Call = {
        url, headers, body: structuredClone(body), done: false,
        answer: (status) => {
          call.done = true;
          resolve({ status, headers: () => undefined, body: {} });
        },
        fail: () => {
          call.done = true;
          reject(new Error('ECONNREFUSED'));
        },
      };
      this.calls.push(call);
    });
  }
  open(): Call[] {
    return this.calls.filter((c) => !c.done);
  }
}

const unusedBraze = { post: () => Promise.reject(new Error('no Braze here')), get: () => Promise.reject(new Error('no Braze here')) };

function setup(maxAttempts = 3) {
  const clock = new FakeClock();
  const partners = new HeldPartners();
  const outcomes: Array<{ ticket: string; outcome: OpOutcome }> = [];
  const problems: Array<unknown> = [];
  const runner = new SinkRunner<string>({
    transport: unusedBraze,
    partnerTransport: partners,
    retry: { maxAttempts, baseMs: 100, maxMs: 1000 },
    rateShare: 1,
    configRetryMs: 5000,
    sinks: [
      { policy: movableInkSink({ url: 'https://mi.example/behavioral/K', username: 'u', password: 'p' }), rate: { limit: 1000, windowMs: 1000 }, maxConcurrentRequests: 4, retryForever: true },
      { policy: quiklyWebhookSink({ url: 'https://q.example/webhook/braze', token: 't' }), rate: { limit: 1000, windowMs: 1000 }, maxConcurrentRequests: 4, retryForever: true },
    ],
    clock,
    random: () => 0.5,
    observer: NOOP_OBSERVER,
    isCurrent: () => true,
    onOutcome: (ticket, _op, outcome) => void outcomes.push({ ticket, outcome }),
    onConfigProblem: (p) => void problems.push(p),
  });
  return { clock, partners, runner, outcomes, problems };
}

const track = (person: string, n: number): MovableInkOp => ({
  kind: 'movable-ink.track', person, anonymousId: person, body: { type: 'track', event: 'e', properties: { n }, timestamp: n },
});
const hook = (person: string): Op => ({ kind: 'quikly.webhook', person, qScope: 's', eventId: 'e', email: 'x@example.com' });

describe('partner delivery through the runner', () => {
  it('sends each op at once through the partner transport, without any linger', async () => {
    const { partners, runner, outcomes } = setup();
    runner.push(track('a', 1), 'a1');
    runner.push(hook('b'), 'b1');
    await settle();
    expect(partners.calls.map((c) => c.url)).toEqual(['https://mi.example/behavioral/K', 'https://q.example/webhook/braze']);
    for (const c of partners.open()) c.answer(200);
    await settle();
    expect(outcomes.map((o) => [o.ticket, o.outcome.delivered])).toEqual([['a1', true], ['b1', true]]);
  });

  it('keeps a person\'s events in order across retries, and loses none while the partner is down past maxAttempts', async () => {
    const { clock, partners, runner, outcomes } = setup(2);
    runner.push(track('p', 1), 'p1');
    runner.push(track('p', 2), 'p2');
    runner.push(hook('p'), 'p3');
    await settle();
    // Only the person's first op is on the wire; the later ones wait behind it.
    expect(partners.open().map((c) => c.body.properties?.n)).toEqual([1]);
    for (let i = 0; i < 6; i++) {
      const open = partners.open();
      expect(open).toHaveLength(1);
      if (i % 2 === 0) open[0]!.answer(503);
      else open[0]!.fail();
      await clock.advance(2000);
    }
    expect(outcomes).toEqual([]);
    partners.open()[0]!.answer(200);
    await settle();
    partners.open()[0]!.answer(200);
    await settle();
    partners.open()[0]!.answer(200);
    await settle();
    expect(outcomes.map((o) => [o.ticket, o.outcome.delivered])).toEqual([['p1', true], ['p2', true], ['p3', true]]);
    expect(partners.calls.filter((c) => c.body.properties?.n === 2)).toHaveLength(1);
  });

  it('pauses on 401 without dead-lettering, and resumes after a probe succeeds', async () => {
    const { clock, partners, runner, outcomes, problems } = setup();
    runner.push(track('a', 1), 'a1');
    await settle();
    partners.open()[0]!.answer(401);
    await settle();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ endpoint: 'movable-ink', status: 401 });
    expect(runner.configProblem).not.toBeNull();
    await clock.advance(5000);
    partners.open()[0]!.answer(200);
    await settle();
    expect(outcomes.map((o) => o.outcome.delivered)).toEqual([true]);
    expect(problems.at(-1)).toBeNull();
  });

  it('dead-letters an op the partner refuses with a 4xx', async () => {
    const { partners, runner, outcomes } = setup();
    runner.push(hook('a'), 'a1');
    await settle();
    partners.open()[0]!.answer(422);
    await settle();
    expect(outcomes[0]!.outcome).toMatchObject({ delivered: false, code: 'quikly_webhook_rejected' });
  });
});
