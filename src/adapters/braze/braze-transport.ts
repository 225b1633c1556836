import { Pool } from 'undici';
import type { BrazeHttpResponse, BrazeTransport } from '../../core/ports.js';
import { TributaryError } from '../../core/errors.js';
import { poolOptions, readResponse } from '../http/http-response.js';

export interface BrazeTransportOptions {
  /** e.g. https://rest.iad-01.braze.com (no path). */
  readonly restEndpoint: string;
  readonly apiKey: string;
  readonly requestTimeoutMs: number;
  /** Keep-alive connections in the pool. */
  readonly connections: number;
}

export interface ClosableBrazeTransport extends BrazeTransport {
  close(): Promise<void>;
}

/**
 * Braze REST over an undici keep-alive pool. Rejects only for network errors and timeouts (which are retryable);
 * every HTTP status is returned for the caller to classify. Errors never carry the API key.
 */
export function createBrazeTransport(options: BrazeTransportOptions): ClosableBrazeTransport {
  const origin = new URL(options.restEndpoint).origin;
  const pool = new Pool(origin, poolOptions(options.requestTimeoutMs, options.connections));
  const headers = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json', accept: 'application/json' };

  async function call(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal, json?: string): Promise<BrazeHttpResponse> {
    try {
      const res = await pool.request({
        method,
        path,
        headers,
        ...(json !== undefined ? { body: json } : body === undefined ? {} : { body: JSON.stringify(body) }),
        // The pool's headers and body timeouts bound every request; a caller's signal can end one sooner.
        ...(signal ? { signal } : {}),
      });
      return await readResponse(res);
    } catch (err) {
      const e = err as { code?: string; name?: string; message?: string };
      throw new TributaryError('braze_network_error', `${method} ${path} failed: ${e.code ?? e.name ?? 'error'}${e.message ? ` (${e.message})` : ''}`, { retryable: true, cause: err });
    }
  }

  return {
    post: (path, body, signal, json) => call('POST', path, body, signal, json),
    get: (path, query) => {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) for (const item of typeof v === 'string' ? [v] : v) qs.append(k, item);
      return call('GET', `${path}?${qs.toString()}`);
    },
    close: () => pool.close(),
  };
}
