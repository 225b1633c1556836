import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const RECEIVER_PATH = '/ingest/braze-events';

/** One received event: its Kafka key (the user's identifier) and the object as posted. */
export interface ReceivedEvent {
  readonly key: string;
  readonly value: Readonly<Record<string, unknown>>;
}

export interface ReceiverOptions {
  /** Reads a parsed body into events, or a reason to answer 400 (src/partners/braze-events/receiver-body.ts). */
  readonly read: (body: unknown) => { readonly ok: true; readonly events: readonly ReceivedEvent[] } | { readonly ok: false; readonly reason: string };
  /** The Bearer token Braze sends (BRAZE_EVENTS_TOKEN). */
  readonly token: string;
  readonly maxBodyBytes: number;
  /** Lands the events in topics.brazeEvents; resolves once Kafka acknowledged them from every in-sync replica. */
  readonly produce: (events: readonly ReceivedEvent[]) => Promise<void>;
  /** Longest wait for Kafka before answering 503. */
  readonly produceTimeoutMs?: number;
  /** Seconds in the Retry-After of a 503. */
  readonly retryAfterS?: number;
  /** Told of each answer (metrics); never given the body. */
  readonly onAnswer?: (status: number, events: number) => void;
  /** Told when Kafka could not take the events; the message never holds the body. */
  readonly onProduceError?: (message: string) => void;
}

/** sha256 of both sides, so the comparison takes the same time whatever the lengths. */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

function answer(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

type BodyResult = { kind: 'ok'; text: string } | { kind: 'too-large' } | { kind: 'aborted' };

function readBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      resolve({ kind: 'too-large' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        chunks.length = 0;
        resolve({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve({ kind: 'ok', text: Buffer.concat(chunks).toString('utf8') });
      done = true;
    });
    req.on('error', () => {
      if (!done) resolve({ kind: 'aborted' });
      done = true;
    });
  });
}

/**
 * POST /ingest/braze-events: Braze webhook campaigns post one event object or `{"events": [...]}` with
 * `Authorization: Bearer <token>`. 202 only once Kafka acknowledged every event (keyed by the user's
 * identifier); 401 for a missing or wrong token; 400 with a reason; 413 over the size cap; 503 with
 * Retry-After when Kafka cannot take them. The body is never logged.
 */
export function brazeEventsReceiver(options: ReceiverOptions): RequestListener {
  const told = (status: number, events = 0) => {
    try {
      options.onAnswer?.(status, events);
    } catch {
      // metrics must not break answering
    }
  };
  return (req, res) => {
    void (async () => {
      if (req.method !== 'POST') {
        told(405);
        return answer(res, 405, { error: 'method_not_allowed', reason: 'use POST' }, { allow: 'POST' });
      }
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
      if (!sameToken(given, options.token)) {
        told(401);
        req.resume();
        return answer(res, 401, { error: 'unauthorized', reason: 'missing or wrong Bearer token' }, { 'www-authenticate': 'Bearer' });
      }
      const body = await readBody(req, options.maxBodyBytes);
      if (body.kind === 'too-large') {
        told(413);
        res.setHeader('connection', 'close');
        return answer(res, 413, { error: 'payload_too_large', reason: `the body is over ${options.maxBodyBytes} bytes` });
      }
      if (body.kind === 'aborted') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.text);
      } catch {
        told(400);
        return answer(res, 400, { error: 'invalid_body', reason: 'the body is not valid JSON' });
      }
      const read = options.read(parsed);
      if (!read.ok) {
        told(400);
        return answer(res, 400, { error: 'invalid_body', reason: read.reason });
      }
      const timeoutMs = options.produceTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          options.produce(read.events),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`Kafka did not acknowledge within ${timeoutMs} ms`)), timeoutMs))),
        ]);
      } catch (err) {
        options.onProduceError?.((err as Error).message ?? 'produce failed');
        told(503);
        return answer(res, 503, { error: 'unavailable', reason: 'the events could not be stored; retry later' }, { 'retry-after': String(options.retryAfterS ?? 5) });
      } finally {
        clearTimeout(timer);
      }
      told(202, read.events.length);
      return answer(res, 202, { accepted: read.events.length });
    })().catch(() => {
      if (!res.headersSent) answer(res, 500, { error: 'internal_error' });
    });
  };
}

export interface ReceiverServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The receiver on its own port (`outbound.receiver.port`). */
export async function startReceiverServer(host: string, port: number, listener: RequestListener): Promise<ReceiverServer> {
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] === RECEIVER_PATH) listener(req, res);
    else answer(res, 404, { error: 'not_found', reason: `try POST ${RECEIVER_PATH}` });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${bound}${RECEIVER_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
