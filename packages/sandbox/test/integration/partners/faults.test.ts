import { afterEach, describe, expect, it } from 'vitest';
import { startPartnerReceiver, type PartnerReceiver } from '../../../src/partners/index.js';

let receiver: PartnerReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

const post = (url: string, signal?: AbortSignal) =>
  fetch(url, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"event":"x"}', ...(signal ? { signal } : {}) });

describe('a partner receiver\'s fault injection (the Braze sandbox\'s)', () => {
  it('plays scripted steps in order: status, rate-limit, reset, delay, then answers normally', async () => {
    receiver = await startPartnerReceiver({ authorization: 'Bearer t', path: '/hook' });
    const control = receiver.url.replace('/hook', '/_sandbox/faults/script');
    const scripted = await fetch(control, { method: 'POST', body: JSON.stringify({ steps: [
      { fault: 'status', status: 503 }, { fault: 'rate-limit', retryAfterS: 2 }, { fault: 'reset' }, { fault: 'delay', ms: 50 },
    ] }) });
    expect(scripted.status).toBe(200);
    expect((await post(receiver.url)).status).toBe(503);
    const limited = await post(receiver.url);
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '2']);
    await expect(post(receiver.url)).rejects.toThrow();
    expect((await post(receiver.url)).status).toBe(200);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.attempts).toBe(4);
  });

  it('holds a hung request until the client gives up, and applies standing error rates and refuses bad settings', async () => {
    receiver = await startPartnerReceiver({ authorization: 'Bearer t', path: '/hook', seed: 3 });
    receiver.faults.script([{ fault: 'hang', hangMs: 5000 }]);
    await expect(post(receiver.url, AbortSignal.timeout(200))).rejects.toThrow();
    receiver.faults.set({ errorRate: 1, errorStatuses: [502] });
    expect((await post(receiver.url)).status).toBe(502);
    const bad = await fetch(receiver.url.replace('/hook', '/_sandbox/faults'), { method: 'PUT', body: JSON.stringify({ errorRate: 2 }) });
    expect(bad.status).toBe(400);
    const cleared = await fetch(receiver.url.replace('/hook', '/_sandbox/faults'), { method: 'DELETE' });
    expect(cleared.status).toBe(200);
    expect((await post(receiver.url)).status).toBe(200);
  });
});
