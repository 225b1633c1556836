import { describe, expect, it } from 'vitest';
import { RequestLog } from '../../../src/braze/request-log.js';
import type { BrazeSandboxRequest } from '../../../src/braze/types.js';

const entry = (seq: number, path = '/users/track'): BrazeSandboxRequest => ({
  seq, timestamp: '', method: 'POST', path, query: '', status: 201, requestBody: null, responseBody: null, durationMs: 0,
});

describe('RequestLog', () => {
  it('keeps the newest entries in arrival order once full', () => {
    const log = new RequestLog(3);
    for (let i = 1; i <= 5; i++) log.add(entry(i));
    expect(log.list().map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('filters by path and keeps the most recent entries under a limit', () => {
    const log = new RequestLog(10);
    log.add(entry(1));
    log.add(entry(2, '/users/export/ids'));
    log.add(entry(3));
    expect(log.list({ path: '/users/track' }).map((e) => e.seq)).toEqual([1, 3]);
    expect(log.list({ limit: 1 }).map((e) => e.seq)).toEqual([3]);
  });

  it('holds nothing with a capacity of zero', () => {
    const log = new RequestLog(0);
    log.add(entry(1));
    expect(log.list()).toEqual([]);
  });
});
