import type { AddressInfo } from 'node:net';
import { createRegistryServer } from './http-server.js';
import { openStateFile } from './persistence.js';
import { RegistryState } from './registry-state.js';

export interface SchemaRegistrySandboxOptions {
  /** Interface to listen on; default '127.0.0.1'. */
  host?: string;
  /** Default 0: the OS picks a free port (read it back from `port` / `url`). */
  port?: number;
  /** Persist state in `<dataDir>/schema-registry.json`; absent = memory only. */
  dataDir?: string;
  /** One line per request, plus details of internal errors. */
  log?: (line: string) => void;
}

export interface SchemaRegistrySandbox {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Starts a Confluent-compatible Schema Registry for tests, demos and benchmarks. Not for
 * production: no auth, no replication, one process.
 */
export async function startSchemaRegistry(options: SchemaRegistrySandboxOptions = {}): Promise<SchemaRegistrySandbox> {
  const host = options.host ?? '127.0.0.1';
  const opened = options.dataDir === undefined ? undefined : await openStateFile(options.dataDir);
  const state = opened?.state ?? new RegistryState();
  let closing = false;
  const server = createRegistryServer({
    state,
    stateFile: opened?.file,
    log: options.log,
    isClosing: () => closing,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => options.log?.(`schema-registry: server error: ${err.message}`));

  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  options.log?.(`schema-registry: listening on ${url}${opened ? ` (state in ${opened.file.path})` : ''}`);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      await new Promise<void>((resolve) => {
        // Keep-alive connections from clients would otherwise hold close() open indefinitely.
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      await opened?.file.flush();
      options.log?.('schema-registry: closed');
    })();
    return closed;
  };

  return { url, host, port, close };
}
