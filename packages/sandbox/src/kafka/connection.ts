// One client connection: frames in, requests handled strictly in arrival order (as Kafka does, so
// responses go out in request order), responses written as corked chunk lists. A parked request
// (Fetch long-poll, JoinGroup, SyncGroup) holds up only this connection's later requests.
import type { Socket } from 'node:net';
import type { Broker } from './broker.js';
import { MalformedRequestError, Reader, Writer } from './codec.js';
import { FrameDecoder } from './frame-decoder.js';
import { HANDLERS, type RequestContext, type ResponseBody } from './handlers/index.js';
import { ApiKey, apiName, ErrorCode, MAX_FRAME_BYTES, versionRange } from './protocol.js';

/** Stop reading from a client that does not drain its responses once this much is queued. */
const MAX_QUEUED_RESPONSE_BYTES = 32 * 1024 * 1024;

interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string;
}

export class Connection {
  private readonly decoder = new FrameDecoder(MAX_FRAME_BYTES);
  private readonly pending: Buffer[] = [];
  private busy = false;
  private closed = false;
  private readonly closeCallbacks = new Set<() => void>();
  private readonly clientHost: string;
  private readonly name: string;

  constructor(private readonly socket: Socket, private readonly broker: Broker) {
    this.clientHost = `/${socket.remoteAddress ?? 'unknown'}`;
    this.name = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      if (this.closed) return;
      socket.resume();
      try {
        this.drain();
      } catch (err) {
        this.abort(`internal error: ${(err as Error)?.stack ?? String(err)}`);
      }
    });
    socket.on('error', (err) => this.broker.log(`kafka-sandbox: connection ${this.name}: ${err.message}`));
    socket.on('close', () => this.onClose());
  }

  /** Ends the connection after any responses already written (used when the broker closes). */
  end(): void {
    if (this.socket.destroyed) return;
    this.socket.end(() => this.socket.destroy());
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const frame of this.decoder.push(chunk)) this.pending.push(frame);
    } catch (err) {
      this.abort(`unreadable frame: ${(err as Error).message}`);
      return;
    }
    try {
      this.drain();
    } catch (err) {
      // Handlers are guarded one by one; this is the last line that keeps the broker alive.
      this.abort(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  private onClose(): void {
    this.closed = true;
    this.pending.length = 0;
    const callbacks = [...this.closeCallbacks];
    this.closeCallbacks.clear();
    for (const cb of callbacks) cb();
  }

  private abort(reason: string): void {
    if (this.closed) return;
    this.broker.log(`kafka-sandbox: closing connection ${this.name}: ${reason}`);
    this.closed = true;
    this.pending.length = 0;
    this.socket.destroy();
  }

  private drain(): void {
    while (!this.busy && !this.closed && this.pending.length > 0) {
      if (this.socket.writableLength > MAX_QUEUED_RESPONSE_BYTES) {
        // Resumed by 'drain'; until then the client's requests wait in the socket.
        this.socket.pause();
        return;
      }
      const frame = this.pending.shift()!;
      this.handleFrame(frame);
    }
  }

  private handleFrame(frame: Buffer): void {
    let header: RequestHeader;
    const body = new Reader(frame);
    try {
      header = {
        apiKey: body.int16(),
        apiVersion: body.int16(),
        correlationId: body.int32(),
        clientId: body.nullableString() ?? '',
      };
    } catch (err) {
      this.abort(`unreadable request header: ${(err as Error).message}`);
      return;
    }

    const handler = HANDLERS.get(header.apiKey);
    const range = versionRange(header.apiKey);
    // ApiVersions answers versions it does not know itself (error 35 plus the ranges).
    if (handler === undefined || range === undefined
      || (header.apiKey !== ApiKey.ApiVersions && (header.apiVersion < range.minVersion || header.apiVersion > range.maxVersion))) {
      this.broker.log(`kafka-sandbox: ${apiName(header.apiKey)} v${header.apiVersion} is not supported; answering UNSUPPORTED_VERSION`);
      this.respond(header, new Writer().int16(ErrorCode.UNSUPPORTED_VERSION));
      return;
    }

    const ctx: RequestContext = {
      ...header,
      clientHost: this.clientHost,
      onConnectionClose: (cb) => {
        this.closeCallbacks.add(cb);
        return () => this.closeCallbacks.delete(cb);
      },
    };

    let result: ResponseBody | Promise<ResponseBody>;
    try {
      result = handler(this.broker, body, ctx);
    } catch (err) {
      this.failed(header, err);
      return;
    }
    if (result instanceof Promise) {
      this.busy = true;
      result.then(
        (response) => {
          this.busy = false;
          try {
            this.respond(header, response);
            this.drain();
          } catch (err) {
            this.failed(header, err);
          }
        },
        (err: unknown) => {
          this.busy = false;
          this.failed(header, err);
        },
      );
      return;
    }
    this.respond(header, result);
  }

  private failed(header: RequestHeader, err: unknown): void {
    const what = `${apiName(header.apiKey)} v${header.apiVersion} (correlation ${header.correlationId})`;
    if (err instanceof MalformedRequestError) this.abort(`malformed ${what}: ${err.message}`);
    else this.abort(`internal error in ${what}: ${(err as Error)?.stack ?? String(err)}`);
  }

  private respond(header: RequestHeader, body: ResponseBody): void {
    if (body === null || this.closed || this.socket.destroyed || this.socket.writableEnded) return;
    const chunks = body.toChunks();
    let size = 4;
    for (const c of chunks) size += c.length;
    const prefix = Buffer.allocUnsafe(8);
    prefix.writeInt32BE(size, 0);
    prefix.writeInt32BE(header.correlationId, 4);
    this.socket.cork();
    this.socket.write(prefix);
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }
}
