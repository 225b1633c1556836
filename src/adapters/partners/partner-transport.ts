import { Agent, request } from 'undici';
import type { BrazeHttpResponse, PartnerTransport } from '../../core/ports.js';
import { poolOptions, readResponse } from '../http/http-response.js';
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
  const agent = new Agent(poolOptions(options.requestTimeoutMs, options.connections));
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
        return await readResponse(res);
      } catch (err) {
        const e = err as { code?: string; name?: string };
        throw new TributaryError('partner_network_error', `POST to ${origin} failed: ${e.code ?? e.name ?? 'error'}`, { retryable: true });
      }
    },
    close: () => agent.close(),
  };
}
