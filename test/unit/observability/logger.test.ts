import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/observability/logger.js';

describe('logger', () => {
  it('redacts secrets and personal data wherever they appear in a log line', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger({ destination: sink as never, level: 'info' });
    log.info({ braze: { apiKey: 'k-secret' }, user: { email: 'ada@example.com', phone: '+15551234567', external_id: 'u-42' }, sasl: { password: 'pw' }, headers: { authorization: 'Bearer k-secret' } }, 'hello');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    expect(text).toContain('hello');
    for (const secret of ['k-secret', 'ada@example.com', '+15551234567', 'u-42', '"pw"']) expect(text).not.toContain(secret);
  });
});
