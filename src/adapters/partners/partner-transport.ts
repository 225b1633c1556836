import { Agent, request } from 'undici';
import type { BrazeHttpResponse, PartnerTransport } from '../../core/ports.js';
import { TributaryError } from '../../core/errors.js';

export interface PartnerTransportOptions {
  readonly requestTimeoutMs: number;
  /** Keep-alive connections per partner origin. */
  readonly connections: number;
}

export interface ClosablePartnerTransport extends PartnerTransport {
  close(): Promise<void>;
}

/**
 * JSON POSTs to partner APIs over one undici keep-alive agent. Every HTTP status is returned for the sink to
 * read; network errors and timeouts reject with an error naming only the origin and the error code: never
 * the path (Movable Ink's holds its key), the headers or the body.
 */
export function createPartnerTransport(options: PartnerTransportOptions): ClosablePartnerTransport {
  const agent = new Agent({
    connections: options.connections,
    keepAliveTimeout: 30_000,
    headersTimeout: options.requestTimeoutMs,
    bodyTimeout: options.requestTimeoutMs,
    connectTimeout: Math.min(options.requestTimeoutMs, 10_000),
  });
  return {
    post: async (url, headers, body): Promise<BrazeHttpResponse> => {
      let origin = 'the partner';
      try {
        origin = new URL(url).origin;
        const res = await request(url, {
          method: 'POST',
          headers: { ...headers },
          body: JSON.stringify(body),
          dispatcher: agent,
          signal: AbortSignal.timeout(options.requestTimeoutMs),
        });
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
      } catch (err) {
        const e = err as { code?: string; name?: string };
        throw new TributaryError('partner_network_error', `POST to ${origin} failed: ${e.code ?? e.name ?? 'error'}`, { retryable: true });
      }
    },
    close: () => agent.close(),
  };
}
