import type { BrazeHttpResponse, BrazeTransport } from '../../src/core/ports.js';

export interface SentRequest {
  readonly path: string;
  /** Set for GET requests. */
  readonly query?: Readonly<Record<string, string | readonly string[]>>;
  readonly body: { attributes?: Record<string, unknown>[]; events?: Record<string, unknown>[]; purchases?: Record<string, unknown>[] };
}

type Responder = (req: SentRequest, n: number) => Partial<BrazeHttpResponse> & { status: number } | Error | Promise<Partial<BrazeHttpResponse> & { status: number } | Error>;

/** An in-memory Braze transport for unit tests of the sink: records every request and answers through `respond`. */
export class FakeBrazeTransport implements BrazeTransport {
  readonly requests: SentRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(public respond: Responder = () => ({ status: 201, body: { message: 'success' } })) {}

  post(path: string, body: unknown, _signal?: AbortSignal, json?: string): Promise<BrazeHttpResponse> {
    return this.answer({ path, body: (json === undefined ? structuredClone(body) : JSON.parse(json)) as SentRequest['body'] });
  }

  get(path: string, query: Readonly<Record<string, string | readonly string[]>>): Promise<BrazeHttpResponse> {
    return this.answer({ path, query: structuredClone(query), body: {} });
  }

  private async answer(req: SentRequest): Promise<BrazeHttpResponse> {
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((r) => setImmediate(r));
      const res = await this.respond(req, this.requests.length);
      if (res instanceof Error) throw res;
      const headers = res.headers ?? (() => undefined);
      return { status: res.status, headers, body: res.body ?? { message: 'success' } };
    } finally {
      this.inFlight--;
    }
  }

  /** Every /users/track object sent, in send order, with the array it was in. */
  objects(): Array<{ array: string; object: Record<string, unknown> }> {
    const out: Array<{ array: string; object: Record<string, unknown> }> = [];
    for (const r of this.requests) if (r.path === '/users/track') for (const array of ['attributes', 'events', 'purchases'] as const) for (const o of r.body[array] ?? []) out.push({ array, object: o });
    return out;
  }
}
