/**
 * Recording receivers for the partners tributary delivers Braze events to: Movable Ink's Customer Data API
 * and the Quikly webhook. Each checks the partner's auth header, records every request it accepts, and can
 * be told to fail (a scripted list of statuses, or "down" until told otherwise). For tests and demos only.
 *
 * HTTP: `POST <path>` is the partner endpoint; `GET /_sandbox/requests` lists the recorded requests;
 * `POST /_sandbox/faults` with `{"statuses": [503, 503]}` answers the next requests with those statuses,
 * `{"down": 503}` answers every request with 503 until `{"down": null}`; `DELETE /_sandbox/requests` clears.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultController } from '../braze/faults.js';
import { createRandom } from '../braze/random.js';
import type { FaultControl, FaultSettings, ScriptStep } from '../braze/types.js';

export interface RecordedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly receivedAtMs: number;
}

export interface PartnerReceiverOptions {
  readonly host?: string;
  readonly port?: number;
  /** The exact Authorization header accepted; anything else gets 401. */
  readonly authorization: string;
  /** The request path of the partner endpoint (e.g. `/behavioral/KEY`). */
  readonly path: string;
  /** Answered to accepted requests (Movable Ink and Quikly answer 200). */
  readonly okStatus?: number;
  /** Seed of the standing faults' random draws. */
  readonly seed?: number;
}

export interface PartnerReceiver {
  /** The partner endpoint's full URL. */
  readonly url: string;
  /** Requests accepted (answered with okStatus), in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** Every request that reached the endpoint, answered however. */
  readonly attempts: number;
  /** The next requests get these statuses, one each, before auth is looked at. */
  script(statuses: readonly number[]): void;
  /** Every request gets this status until called with null. */
  down(status: number | null): void;
  /**
   * The Braze sandbox's fault injection, for this endpoint: standing settings (error, reset and hang rates,
   * latency) and scripted steps (status, rate-limit, reset, hang, delay). Also over HTTP: `PUT /_sandbox/faults`,
   * `POST /_sandbox/faults/script`, `DELETE /_sandbox/faults`.
   */
  readonly faults: FaultControl;
  clear(): void;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Runs a control change; a refused one answers 400 with the reason. */
function control(res: ServerResponse, change: () => void): void {
  try {
    change();
    send(res, 200, { message: 'ok' });
  } catch (err) {
    send(res, 400, { error: (err as Error).message });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startPartnerReceiver(options: PartnerReceiverOptions): Promise<PartnerReceiver> {
  const requests: RecordedRequest[] = [];
  const faults = new FaultController(createRandom(options.seed ?? 1));
  const scripted: number[] = [];
  let downStatus: number | null = null;
  let attempts = 0;
  const okStatus = options.okStatus ?? 200;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    const raw = await readBody(req);
    if (path === '/_sandbox/requests') {
      if (req.method === 'DELETE') {
        requests.length = 0;
        return send(res, 200, { cleared: true });
      }
      return send(res, 200, { requests, attempts });
    }
    if (path === '/_sandbox/faults' && req.method === 'PUT') return control(res, () => faults.set(JSON.parse(raw.toString('utf8')) as FaultSettings));
    if (path === '/_sandbox/faults/script' && req.method === 'POST') {
      return control(res, () => {
        const body = JSON.parse(raw.toString('utf8')) as { steps?: ScriptStep[] } | ScriptStep[];
        faults.script(Array.isArray(body) ? body : body.steps ?? []);
      });
    }
    if (path === '/_sandbox/faults' && req.method === 'DELETE') return control(res, () => faults.clear());
    if (path === '/_sandbox/faults' && req.method === 'GET') return send(res, 200, faults.get());
    if (path === '/_sandbox/faults' && req.method === 'POST') {
      let body: { statuses?: unknown; down?: unknown };
      try {
        body = JSON.parse(raw.toString('utf8')) as typeof body;
      } catch {
        return send(res, 400, { message: 'invalid JSON' });
      }
      if (Array.isArray(body.statuses)) scripted.push(...body.statuses.filter((s): s is number => Number.isInteger(s)));
      if (body.down === null || Number.isInteger(body.down)) downStatus = body.down as number | null;
      return send(res, 200, { scripted: scripted.length, down: downStatus });
    }
    if (path !== options.path || req.method !== 'POST') return send(res, 404, { message: 'not found' });
    attempts++;
    const decision = faults.decide(options.path);
    const action = decision.action;
    const waitMs = decision.latencyMs + (action?.kind === 'delay' ? action.ms : 0);
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    if (action?.kind === 'reset') return void req.socket.destroy();
    if (action?.kind === 'hang') {
      await new Promise((r) => setTimeout(r, action.hangMs).unref());
      return void req.socket.destroy();
    }
    if (action?.kind === 'status') return send(res, action.status, action.body);
    if (action?.kind === 'rate-limit') {
      res.setHeader('retry-after', String(action.retryAfterS ?? 1));
      return send(res, 429, { message: 'rate limited' });
    }
    const fault = scripted.shift() ?? downStatus;
    if (fault !== null && fault !== undefined) return send(res, fault, { message: 'sandbox fault' });
    if (req.headers.authorization !== options.authorization) return send(res, 401, { message: 'unauthorized' });
    if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, 415, { message: 'expected application/json' });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return send(res, 400, { message: 'invalid JSON' });
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    requests.push({ path, headers, body, receivedAtMs: Date.now() });
    return send(res, okStatus, { status: 'ok' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { message: 'sandbox error' });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${options.path}`,
    requests,
    get attempts() {
      return attempts;
    },
    faults,
    script: (statuses) => void scripted.push(...statuses),
    down: (status) => void (downStatus = status),
    clear: () => void (requests.length = 0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Movable Ink's behavioral endpoint, with Basic auth. */
export function startMovableInkSandbox(options: { host?: string; port?: number; username?: string; password?: string; key?: string } = {}): Promise<PartnerReceiver> {
  const username = options.username ?? 'sandbox-user';
  const password = options.password ?? 'sandbox-password';
  return startPartnerReceiver({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    path: `/behavioral/${options.key ?? 'sandbox-key'}`,
    authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
  });
}

/** The Quikly webhook, with Bearer auth. */
export function startQuiklyWebhookSandbox(options: { host?: string; port?: number; token?: string } = {}): Promise<PartnerReceiver> {
  return startPartnerReceiver({
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    path: '/webhook/braze',
    authorization: `Bearer ${options.token ?? 'sandbox-quikly-token'}`,
  });
}
