import type { BrazeHttpResponse } from '../ports.js';
import type { Verdict } from '../sink.js';

/**
 * How a partner's answer to a one-op request is read (Movable Ink, the Quikly webhook): 2xx delivered;
 * 429, 408 and 5xx retried; 401/403 (credentials) and 3xx (a wrong URL) pause the sink without
 * dead-lettering anything; any other 4xx says the request itself is bad, so its op is dead-lettered with
 * `code`. The detail names the status only: partner bodies may echo personal data.
 */
export function partnerVerdict<R>(partner: string, code: string, response: BrazeHttpResponse): Verdict<R> {
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'answered', resultOf: () => ({ kind: 'delivered' }) };
  if (status === 429) return { kind: 'retry', reason: 'rate-limited', status };
  if (status === 408 || (status >= 500 && status < 600)) return { kind: 'retry', reason: 'server-error', status };
  if (status === 401 || status === 403) return { kind: 'config', status, message: `${partner} refused the credentials (${status})` };
  if (status >= 300 && status < 400) return { kind: 'config', status, message: `${partner} answered ${status}: check the URL` };
  if (status >= 400 && status < 500) {
    return { kind: 'answered', resultOf: () => ({ kind: 'rejected', code, detail: `${partner} answered ${status}: the request was refused` }) };
  }
  return { kind: 'retry', reason: 'server-error', status };
}

/** `Authorization: Basic` from a user name and password. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
