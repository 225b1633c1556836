import { request } from 'undici';
import { TributaryError } from '../../core/errors.js';
import { DECODE_ERROR_CODES as CODES } from './decode-error-codes.js';

export interface RegistryHttpOptions {
  readonly registryUrl: string;
  readonly username?: string | null;
  readonly password?: string | null;
  readonly requestTimeoutMs?: number;
}

/** A registry answer: 404 is returned (the caller decides what a missing thing means), 200 parsed as JSON. */
export type RegistryAnswer = { readonly status: 404 } | { readonly status: 200; readonly body: unknown };

/**
 * GETs one registry path. The registry being away, refusing our credentials, throttling, failing or answering
 * something that is not JSON is the registry's problem, not the record's: that throws a retryable error.
 * `what` names the thing asked for in messages (schema ids and subjects, never record data).
 */
export async function getFromRegistry(options: RegistryHttpOptions, path: string, what: string): Promise<RegistryAnswer> {
  const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' };
  if (options.username) headers.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
  let status: number;
  let text: string;
  try {
    const res = await request(`${options.registryUrl.replace(/\/$/, '')}${path}`, {
      headers,
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    throw new TributaryError(CODES.schemaRegistryUnreachable, `cannot reach the schema registry: ${(err as Error).message}`, { retryable: true, cause: err });
  }
  if (status === 404) return { status };
  if (status !== 200) {
    // 401/403 (expired credentials), 429 and 5xx: wait, never dead-letter.
    throw new TributaryError(CODES.schemaRegistryError, `the schema registry answered ${status} for ${what}`, { retryable: true });
  }
  try {
    return { status, body: JSON.parse(text) as unknown };
  } catch (err) {
    // A proxy's HTML error page with status 200, say: the registry is not really answering.
    throw new TributaryError(CODES.schemaRegistryError, `the schema registry answered 200 for ${what} with a body that is not JSON`, { retryable: true, cause: err });
  }
}
