import type { Dispatcher } from 'undici';
import type { BrazeHttpResponse } from '../../core/ports.js';

/** Connection pool settings every HTTP client of tributary uses (Braze, partners). */
export function poolOptions(requestTimeoutMs: number, connections: number) {
  return {
    connections,
    keepAliveTimeout: 30_000,
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
    connectTimeout: Math.min(requestTimeoutMs, 10_000),
  };
}

/** An undici answer as the sinks read it: status, case-insensitive headers, the body parsed as JSON when it is JSON. */
export async function readResponse(res: Dispatcher.ResponseData): Promise<BrazeHttpResponse> {
  const text = await res.body.text();
  let parsed: unknown = text;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  const h = res.headers;
  return {
    status: res.statusCode,
    headers: (name) => {
      const v = h[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
    body: parsed,
  };
}
