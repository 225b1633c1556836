import { describe, expect, it } from 'vitest';
import { clientsClosedAfterEach } from './helpers.js';

const body = { attributes: [{ external_id: 'u1', tier: 'gold' }] };
const exportBody = { external_ids: ['u1'], fields_to_export: ['external_id'] };

/** Node timers may fire up to a millisecond before the nominal delay by performance.now(): allow that. */
const atLeast = (ms: number) => ms - 2;

describe('Braze sandbox misbehaviour on purpose', () => {
  const start = clientsClosedAfterEach();

  describe('latency', () => {
    it('adds a fixed latency to every API answer', async () => {
      const c = await start({ latencyMs: 40 });
      const begin = performance.now();
      expect((await c.track(body)).status).toBe(201);
      expect(performance.now() - begin).toBeGreaterThanOrEqual(35);
      expect(c.sandbox.state.requests()[0].durationMs).toBeGreaterThanOrEqual(atLeast(40));
    });

    it('draws latency uniformly between bounds set at run time, and leaves /_sandbox/ undelayed', async () => {
      const c = await start();
      expect((await c.control('PUT', '/config', { latency: { minMs: 20, maxMs: 30 } })).body.latency).toEqual({ minMs: 20, maxMs: 30 });
      for (let i = 0; i < 3; i++) await c.track(body);
      const durations = c.sandbox.state.requests().map((r) => r.durationMs);
      expect(durations.every((d) => d >= atLeast(20))).toBe(true);
      await c.control('PUT', '/config', { latency: null });
      expect(c.sandbox.state.config().latency).toBeNull();
    });

    for (const lean of [false, true]) {
      it(`changes latency and limits between runs through PUT /_sandbox/config, without a restart (${lean ? 'lean' : 'normal'} mode)`, async () => {
        const c = await start({ lean, latencyMs: 0 });
        const run = async () => {
          await c.control('POST', '/reset');
          const reply = await c.track({ events: [{ external_id: 'u1', name: 'seen', time: new Date().toISOString() }] });
          expect(reply.status).toBe(201);
          return { reply, age: c.sandbox.state.counters().eventAgeMs.min! };
        };
        const put = await c.control('PUT', '/config', { latencyMs: 80, limits: 'unlimited' });
        expect(put.status).toBe(200);
        expect(put.body).toMatchObject({ latency: { fixedMs: 80 }, limits: 'unlimited' });
        const slow = await run();
        expect(slow.age).toBeGreaterThanOrEqual(atLeast(80));
        expect(slow.reply.headers.get('x-ratelimit-limit')).toBeNull();

        expect((await c.control('PUT', '/config', { latencyMs: 30, limits: 'default' })).body).toMatchObject({ latency: { fixedMs: 30 }, limits: 'default' });
        const faster = await run();
        expect(faster.age).toBeGreaterThanOrEqual(atLeast(30));
        expect(faster.reply.headers.get('x-ratelimit-limit')).toBe('3000');

        expect((await c.control('PUT', '/config', { latencyMs: 0 })).body.latency).toBeNull();
        expect((await c.control('GET', '/config')).body).toMatchObject({ latency: null, limits: 'default' });
        expect((await c.control('PUT', '/config', { latencyMs: -1 })).status).toBe(400);
      });
    }

    it('adds standing fault latency only on the listed paths', async () => {
      const c = await start();
      c.sandbox.state.faults.set({ paths: ['/users/track'], latency: { fixedMs: 30 } });
      await c.track(body);
      await c.post('/users/export/ids', exportBody);
      const [tracked, exported] = c.sandbox.state.requests();
      expect(tracked.durationMs).toBeGreaterThanOrEqual(atLeast(30));
      expect(tracked.fault).toEqual({ kind: 'latency', scripted: false });
      expect(exported.fault).toBeUndefined();
    });
  });

  describe('error answers', () => {
    it('answers 5xx at the configured rate, before auth and validation', async () => {
      const c = await start({ faults: { errorRate: 1, errorStatuses: [503] } });
      const reply = await c.post('/users/track', { nonsense: true }, { key: null });
      expect(reply.status).toBe(503);
      expect(reply.body).toEqual({ message: 'Service Unavailable' });
      expect(c.sandbox.state.profileCount()).toBe(0);
      expect(c.sandbox.state.counters().faults.status).toBe(1);
      expect(c.sandbox.state.requests()[0].fault).toEqual({ kind: 'status', scripted: false });
    });

    it('repeats the same sequence of answers for the same seed', async () => {
      const run = async () => {
        const c = await start({ seed: 42, faults: { errorRate: 0.5 } });
        const statuses: number[] = [];
        for (let i = 0; i < 16; i++) statuses.push((await c.track(body)).status);
        return statuses;
      };
      const first = await run();
      const second = await run();
      expect(second).toEqual(first);
      expect(first).toContain(201);
      expect(first.some((s) => [500, 502, 503, 504].includes(s))).toBe(true);
    });

    it('limits the error rate to the listed paths', async () => {
      const c = await start({ faults: { errorRate: 1, paths: ['/users/track'] } });
      expect((await c.track(body)).status).toBeGreaterThanOrEqual(500);
      expect((await c.post('/users/export/ids', exportBody)).status).toBe(201);
    });
  });

  describe('connection resets and hangs', () => {
    it('destroys the connection without an answer at the reset rate', async () => {
      const c = await start({ faults: { resetRate: 1 } });
      await expect(c.track(body)).rejects.toThrow();
      const [entry] = c.sandbox.state.requests();
      expect(entry.status).toBeNull();
      expect(entry.fault).toEqual({ kind: 'reset', scripted: false });
      expect(c.sandbox.state.counters().byEndpoint['POST /users/track']).toEqual({ reset: 1 });
      expect(c.sandbox.state.profileCount()).toBe(0);
    });

    it('holds a hung request for hangMs, then drops the connection', async () => {
      const c = await start({ faults: { hangRate: 1, hangMs: 150 } });
      const begin = performance.now();
      await expect(c.track(body)).rejects.toThrow();
      expect(performance.now() - begin).toBeGreaterThanOrEqual(100);
      expect(c.sandbox.state.requests()[0]).toMatchObject({ status: null, fault: { kind: 'hang', scripted: false } });
    });

    it('ends hung requests when the sandbox closes', async () => {
      const c = await start({ faults: { hangRate: 1 } });
      const pending = c.track(body).then(() => 'answered', () => 'dropped');
      while (c.sandbox.state.requests().length === 0) await new Promise((r) => setTimeout(r, 5));
      await c.sandbox.close();
      expect(await pending).toBe('dropped');
    });
  });

  describe('scripts', () => {
    it('answers 503 to the next three /users/track calls, then handles them again', async () => {
      const c = await start();
      c.sandbox.state.faults.script([{ path: '/users/track', times: 3, fault: 'status', status: 503 }]);
      expect((await c.post('/users/export/ids', exportBody)).status).toBe(201);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await c.track(body)).status);
      expect(statuses).toEqual([503, 503, 503, 201]);
      expect(c.sandbox.state.faults.get().script).toEqual([]);
      expect(c.sandbox.state.requests().filter((r) => r.fault?.scripted)).toHaveLength(3);
    });

    it('scripts a 429 with the epoch rate-limit headers', async () => {
      const c = await start();
      c.sandbox.state.faults.script([{ fault: 'rate-limit', retryAfterS: 5 }]);
      const reply = await c.track(body);
      expect(reply.status).toBe(429);
      expect(reply.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(reply.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 3);
      expect(c.sandbox.state.counters().rateLimited).toBe(1);
    });

    it('scripts a 429 with X-Ratelimit-Retry-After in MAU style', async () => {
      const c = await start({ rateLimitStyle: 'mau' });
      c.sandbox.state.faults.script([{ fault: 'rate-limit', retryAfterS: 7 }]);
      const reply = await c.track(body);
      expect(reply.status).toBe(429);
      expect(reply.headers.get('x-ratelimit-retry-after')).toBe('7');
      expect(reply.headers.get('x-ratelimit-limit')).toBeNull();
    });

    it('scripts a 400 with a chosen body', async () => {
      const c = await start();
      c.sandbox.state.faults.script([{ fault: 'status', status: 400, body: { message: 'Bad Request', errors: ['scripted'] } }]);
      const reply = await c.track(body);
      expect(reply).toMatchObject({ status: 400, body: { message: 'Bad Request', errors: ['scripted'] } });
      expect(c.sandbox.state.profileCount()).toBe(0);
    });

    it('scripts per-object errors at chosen indexes and applies the other objects', async () => {
      const c = await start();
      c.sandbox.state.faults.script([{ fault: 'item-errors', errors: [{ input_array: 'attributes', index: 1, type: 'EMAIL_BAD_FORMAT' }] }]);
      const reply = await c.track({ attributes: [{ external_id: 'a' }, { external_id: 'b' }, { external_id: 'c' }] });
      expect(reply.body).toEqual({ message: 'success', attributes_processed: 2, errors: [{ type: 'EMAIL_BAD_FORMAT', input_array: 'attributes', index: 1 }] });
      expect(c.sandbox.state.findProfile({ external_id: 'b' })).toBeUndefined();
      expect(c.sandbox.state.findProfile({ external_id: 'c' })).toBeDefined();
    });

    it('scripts a reset, a delay and a hang in sequence', async () => {
      const c = await start();
      c.sandbox.state.faults.script([{ fault: 'reset' }, { fault: 'delay', ms: 40 }, { fault: 'hang', hangMs: 50 }]);
      await expect(c.track(body)).rejects.toThrow();
      expect((await c.track(body)).status).toBe(201);
      await expect(c.track(body)).rejects.toThrow();
      const log = c.sandbox.state.requests();
      expect(log.map((r) => r.fault?.kind)).toEqual(['reset', 'delay', 'hang']);
      expect(log[1].durationMs).toBeGreaterThanOrEqual(atLeast(40));
      expect(c.sandbox.state.counters().faults).toMatchObject({ reset: 1, delay: 1, hang: 1 });
    });
  });

  describe('the faults control endpoint', () => {
    it('sets, reads and clears standing faults and appends script steps', async () => {
      const c = await start();
      expect((await c.control('PUT', '/faults', { errorRate: 1, errorStatuses: [502] })).status).toBe(200);
      expect((await c.track(body)).status).toBe(502);
      expect((await c.control('POST', '/faults/script', { steps: [{ fault: 'status', status: 504, times: 2 }] })).body.script)
        .toEqual([{ fault: 'status', status: 504, times: 2 }]);
      expect((await c.control('POST', '/faults/script', [{ fault: 'reset' }])).body.script).toHaveLength(2);
      expect((await c.control('GET', '/faults')).body.settings).toEqual({ errorRate: 1, errorStatuses: [502] });
      expect((await c.track(body)).status).toBe(504);
      expect((await c.control('DELETE', '/faults')).body).toEqual({ settings: {}, script: [] });
      expect((await c.track(body)).status).toBe(201);
    });

    it('rejects invalid fault settings and steps with 400', async () => {
      const c = await start();
      expect((await c.control('PUT', '/faults', { errorRate: 2 })).status).toBe(400);
      expect((await c.control('PUT', '/faults', { errorStatuses: [418] })).status).toBe(400);
      expect((await c.control('POST', '/faults/script', [{ fault: 'explode' }])).status).toBe(400);
      expect((await c.control('POST', '/faults/script', [{ fault: 'status', status: 503, times: 0 }])).status).toBe(400);
      expect(() => c.sandbox.state.faults.set({ hangRate: -1 })).toThrow();
    });
  });
});
