import { afterEach } from 'vitest';
import { startBrazeSandbox, type BrazeSandbox, type BrazeSandboxOptions } from '../../../src/braze/index.js';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export interface CallOptions {
  /** API key to send; null sends no Authorization header. Default: the sandbox key. */
  readonly key?: string | null;
  /** Raw Authorization header value (wins over key). */
  readonly authorization?: string;
  readonly contentType?: string | null;
  /** Send this text as the body instead of JSON.stringify(body). */
  readonly raw?: string;
}

export interface TestClient {
  readonly sandbox: BrazeSandbox;
  post(path: string, body?: unknown, options?: CallOptions): Promise<Reply>;
  get(path: string, query?: Record<string, string | readonly string[]>, options?: CallOptions): Promise<Reply>;
  /** Control endpoints under /_sandbox/. */
  control(method: string, path: string, body?: unknown): Promise<Reply>;
  track(body: unknown): Promise<Reply>;
}

async function toReply(response: Response): Promise<Reply> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

export function clientFor(sandbox: BrazeSandbox): TestClient {
  const headersFor = (options: CallOptions, json: boolean): Record<string, string> => {
    const headers: Record<string, string> = {};
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    else if (options.key !== null) headers.authorization = `Bearer ${options.key ?? sandbox.apiKey}`;
    if (json && options.contentType !== null) headers['content-type'] = options.contentType ?? 'application/json';
    return headers;
  };
  const client: TestClient = {
    sandbox,
    async post(path, body, options = {}) {
      const response = await fetch(`${sandbox.url}${path}`, {
        method: 'POST',
        headers: headersFor(options, true),
        body: options.raw ?? (body === undefined ? '' : JSON.stringify(body)),
      });
      return toReply(response);
    },
    async get(path, query = {}, options = {}) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        for (const v of typeof value === 'string' ? [value] : value) params.append(key, v);
      }
      const qs = params.toString();
      const response = await fetch(`${sandbox.url}${path}${qs === '' ? '' : `?${qs}`}`, { headers: headersFor(options, false) });
      return toReply(response);
    },
    async control(method, path, body) {
      const response = await fetch(`${sandbox.url}/_sandbox${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      return toReply(response);
    },
    track: (body) => client.post('/users/track', body),
  };
  return client;
}

export async function startClient(options: BrazeSandboxOptions = {}): Promise<TestClient> {
  return clientFor(await startBrazeSandbox({ seed: 7, ...options }));
}

/**
 * For a describe block: the `start` it returns opens a client (with `defaults` under its own options) whose
 * sandbox is closed after each test.
 */
export function clientsClosedAfterEach(defaults: BrazeSandboxOptions = {}): (options?: BrazeSandboxOptions) => Promise<TestClient> {
  const started: TestClient[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.sandbox.close()));
  });
  return async (options = {}) => {
    const client = await startClient({ ...defaults, ...options });
    started.push(client);
    return client;
  };
}

export const EMAIL_GROUP = '3f1b6e2a-6c1d-4c35-9a57-0d2f0b6b9a11';
export const SMS_GROUP = '8a0c9d4e-2b7f-4e61-8c3a-5d9e1f2a3b44';
export const UNKNOWN_GROUP = 'c2d4e6f8-1a3b-4c5d-8e7f-9a0b1c2d3e4f';

export const at = '2024-05-01T10:00:00Z';
