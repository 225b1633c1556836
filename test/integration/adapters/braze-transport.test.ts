import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBrazeTransport } from '../../../src/adapters/braze/braze-transport.js';

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Braze transport', () => {
  it('sends the bearer key and JSON, and returns status, headers (any case) and the parsed body', async () => {
    let seen: { auth?: string; type?: string; body?: string } = {};
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen = { auth: req.headers.authorization, type: req.headers['content-type'], body };
        res.writeHead(201, { 'X-RateLimit-Remaining': '41', 'content-type': 'application/json' }).end('{"message":"success"}');
      });
    });
    const t = createBrazeTransport({ restEndpoint: url, apiKey: 'k-123', requestTimeoutMs: 2000, connections: 2 });
    const res = await t.post('/users/track', { attributes: [{ external_id: 'u1' }] });
    await t.close();
    expect(res.status).toBe(201);
    expect(res.headers('X-RateLimit-Remaining')).toBe('41');
    expect(res.body).toEqual({ message: 'success' });
    expect(seen).toEqual({ auth: 'Bearer k-123', type: 'application/json', body: '{"attributes":[{"external_id":"u1"}]}' });
  });

  it('rejects with a retryable error that does not contain the key when the connection fails or times out', async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const t = createBrazeTransport({ restEndpoint: url, apiKey: 'secret-key-xyz', requestTimeoutMs: 150, connections: 1 });
    const err = await t.post('/users/track', {}).then(() => null, (e: unknown) => e as { retryable: boolean; message: string });
    await t.close();
    expect(err?.retryable).toBe(true);
    expect(err?.message).not.toContain('secret-key-xyz');
    const refused = createBrazeTransport({ restEndpoint: 'http://127.0.0.1:1', apiKey: 'secret-key-xyz', requestTimeoutMs: 500, connections: 1 });
    await expect(refused.post('/users/track', {})).rejects.toMatchObject({ retryable: true, code: 'braze_network_error' });
    await refused.close();
  });
});
