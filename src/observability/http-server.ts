import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface HealthSource {
  /** Alive: the process is working (not crashed, not wedged). */
  healthy(): { ok: boolean; detail?: unknown };
  /** Ready: consuming and delivering. */
  ready(): { ok: boolean; detail?: unknown };
}

export interface ObservabilityServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves /metrics (Prometheus text), /healthz and /readyz, and any extra routes (by exact path, every method). */
export async function startObservabilityServer(options: {
  host: string;
  port: number;
  registry: Registry;
  health: HealthSource;
  routes?: ReadonlyMap<string, RequestListener>;
}): Promise<ObservabilityServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = path === undefined ? undefined : options.routes?.get(path);
    if (route) {
      route(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const state = path === '/healthz' ? options.health.healthy() : options.health.ready();
      res.writeHead(state.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: state.ok, ...(state.detail === undefined ? {} : { detail: state.detail }) }) + '\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
