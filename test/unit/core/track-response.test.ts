import { describe, it, expect } from 'vitest';
import { classifyNetworkError, classifyTrackResponse } from '../../../src/core/track-response.js';

describe('classifyTrackResponse', () => {
  it.each([
    [201, { message: 'success', attributes_processed: 2 }, { kind: 'ok', itemErrors: [] }],
    [200, { message: 'success' }, { kind: 'ok', itemErrors: [] }],
    [202, { message: 'queued' }, { kind: 'ok', itemErrors: [] }],
    [201, '', { kind: 'ok', itemErrors: [] }],
    [429, {}, { kind: 'retry', reason: 'rate-limited', status: 429 }],
    [500, { message: 'Internal Server Error' }, { kind: 'retry', reason: 'server-error', status: 500 }],
    [502, '<html>Bad Gateway</html>', { kind: 'retry', reason: 'server-error', status: 502 }],
    [503, null, { kind: 'retry', reason: 'server-error', status: 503 }],
    [504, undefined, { kind: 'retry', reason: 'server-error', status: 504 }],
    [408, undefined, { kind: 'retry', reason: 'server-error', status: 408 }],
    [400, { message: 'Max Input Length Exceeded' }, { kind: 'reject', status: 400, message: 'Max Input Length Exceeded' }],
    [413, 'Request Entity Too Large', { kind: 'reject', status: 413, message: 'Request Entity Too Large' }],
    [422, {}, { kind: 'reject', status: 422, message: 'HTTP 422' }],
    [401, { message: 'Invalid API key: [REDACTED]' }, { kind: 'config', status: 401, message: 'Invalid API key: [REDACTED]' }],
    [403, { message: 'Access Denied' }, { kind: 'config', status: 403, message: 'Access Denied' }],
    [404, '', { kind: 'config', status: 404, message: 'HTTP 404' }],
    [301, '', { kind: 'config', status: 301, message: 'HTTP 301' }],
  ] as const)('classifies %i %j', (status, body, outcome) => {
    expect(classifyTrackResponse(status, body)).toEqual(outcome);
  });

  it('reads per-object errors of an accepted request', () => {
    const body = {
      message: 'success',
      attributes_processed: 1,
      errors: [
        { type: "'external_id' or 'braze_id' or 'user_alias' is required", input_array: 'attributes', index: 1 },
        { type: 'EMAIL_BAD_FORMAT', input_array: 'events', index: 0 },
        { type: 'x', input_array: 'purchases', index: 74 },
      ],
    };
    expect(classifyTrackResponse(201, body)).toEqual({
      kind: 'ok',
      itemErrors: [
        { inputArray: 'attributes', index: 1, type: "'external_id' or 'braze_id' or 'user_alias' is required" },
        { inputArray: 'events', index: 0, type: 'EMAIL_BAD_FORMAT' },
        { inputArray: 'purchases', index: 74, type: 'x' },
      ],
    });
  });

  it('ignores malformed error entries and keeps the valid ones', () => {
    const body = {
      message: 'success',
      errors: [
        null,
        'oops',
        { type: 'no index', input_array: 'attributes' },
        { type: 'negative', input_array: 'attributes', index: -1 },
        { type: 'fraction', input_array: 'attributes', index: 1.5 },
        { type: 'unknown array', input_array: 'users', index: 0 },
        { type: 'no array', index: 0 },
        { type: 'kept', input_array: 'events', index: 2 },
        { input_array: 'attributes', index: '3' },
        { code: 'BAD_DEVICE_ID', input_array: 'attributes', index: 4 },
      ],
    };
    expect(classifyTrackResponse(201, body)).toEqual({
      kind: 'ok',
      itemErrors: [
        { inputArray: 'events', index: 2, type: 'kept' },
        { inputArray: 'attributes', index: 3, type: 'unknown' },
        { inputArray: 'attributes', index: 4, type: 'BAD_DEVICE_ID' },
      ],
    });
  });

  it('treats a success body without a usable errors list as fully accepted', () => {
    for (const body of [undefined, null, 'success', [], { message: 'success', errors: 'none' }, { errors: {} }]) {
      expect(classifyTrackResponse(201, body)).toEqual({ kind: 'ok', itemErrors: [] });
    }
  });

  it('shortens long messages from the body', () => {
    const outcome = classifyTrackResponse(400, { message: 'x'.repeat(5000) });
    expect(outcome.kind).toBe('reject');
    if (outcome.kind === 'reject') expect(outcome.message.length).toBeLessThan(400);
  });

  it('retries statuses that are not HTTP answers', () => {
    expect(classifyTrackResponse(0, undefined)).toEqual({ kind: 'retry', reason: 'server-error', status: 0 });
    expect(classifyTrackResponse(103, undefined).kind).toBe('retry');
  });
});

describe('classifyNetworkError', () => {
  it('always retries network failures and timeouts', () => {
    expect(classifyNetworkError(new Error('ECONNRESET'))).toEqual({ kind: 'retry', reason: 'network' });
    expect(classifyNetworkError(Object.assign(new Error('timeout'), { name: 'TimeoutError' }))).toEqual({ kind: 'retry', reason: 'network' });
    expect(classifyNetworkError(undefined)).toEqual({ kind: 'retry', reason: 'network' });
  });
});
