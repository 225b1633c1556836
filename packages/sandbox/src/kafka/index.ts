// An embedded single-node Kafka broker speaking the wire protocol over TCP, for tests, demos and
// benchmarks. Never for production. See docs/sandbox-kafka.md.
import { createServer, type Server, type Socket } from 'node:net';
import { Broker } from './broker.js';
import { Connection } from './connection.js';

export interface KafkaSandboxOptions {
  /**
   * Interface to listen on, and the host advertised to clients; default '127.0.0.1'. A wildcard
   * ('0.0.0.0' or '::') listens everywhere and advertises '127.0.0.1'.
   */
  host?: string;
  /** Default 0 = pick a free port; the bound port is advertised. */
  port?: number;
  /** Persist logs and committed offsets here; absent = memory only. */
  dataDir?: string;
  /** Partitions of auto-created topics and of CreateTopics with -1 (Kafka's num.partitions, which defaults to 1 there); default 3, so demos get several. */
  partitions?: number;
  /** Auto-create topics on Metadata/Produce; default true. */
  autoCreate?: boolean;
  /** Per-partition cap; oldest batches are dropped beyond it; default 256 MiB. */
  retentionBytes?: number;
  /** Default 100. */
  minSessionTimeoutMs?: number;
  /** Default 300000. */
  maxSessionTimeoutMs?: number;
  /** Diagnostic lines (default: none). */
  log?: (line: string) => void;
}

export interface KafkaSandbox {
  /** e.g. ['127.0.0.1:54321'] */
  readonly brokers: string[];
  /** The advertised host: the one clients should dial. */
  readonly host: string;
  readonly port: number;
  /** Stops accepting, ends connections, fails parked requests cleanly, flushes persistence. */
  close(): Promise<void>;
}

const DEFAULT_RETENTION_BYTES = 256 * 1024 * 1024;
/** Connections still open this long after their end was requested are destroyed. */
const CLOSE_GRACE_MS = 200;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`KafkaSandboxOptions.${name} must be a positive integer, got ${value}`);
  return value;
}

export async function startKafkaSandbox(options: KafkaSandboxOptions = {}): Promise<KafkaSandbox> {
  const listenHost = options.host ?? '127.0.0.1';
  // Clients must dial exactly what Metadata advertises, and nobody can dial a wildcard.
  const host = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`KafkaSandboxOptions.port must be 0-65535, got ${port}`);
  const minSessionTimeoutMs = positiveInteger('minSessionTimeoutMs', options.minSessionTimeoutMs, 100);
  const maxSessionTimeoutMs = positiveInteger('maxSessionTimeoutMs', options.maxSessionTimeoutMs, 300_000);
  if (maxSessionTimeoutMs < minSessionTimeoutMs) throw new RangeError('KafkaSandboxOptions.maxSessionTimeoutMs is below minSessionTimeoutMs');
  const log = options.log ?? (() => {});

  const broker = new Broker({
    host,
    defaultPartitions: positiveInteger('partitions', options.partitions, 3),
    autoCreate: options.autoCreate ?? true,
    retentionBytes: positiveInteger('retentionBytes', options.retentionBytes, DEFAULT_RETENTION_BYTES),
    minSessionTimeoutMs,
    maxSessionTimeoutMs,
    dataDir: options.dataDir ?? null,
    log,
  });

  const connections = new Set<Connection>();
  const server: Server = createServer((socket: Socket) => {
    if (broker.isClosing) {
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, broker);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, listenHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    broker.close();
    throw err;
  }
  server.on('error', (err) => log(`kafka-sandbox: server error: ${err.message}`));

  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('kafka-sandbox: server has no TCP address');
  broker.port = address.port;
  log(`kafka-sandbox: listening on ${listenHost}:${broker.port}, advertising ${host}:${broker.port}`);

  let closing: Promise<void> | null = null;
  return {
    brokers: [`${host}:${broker.port}`],
    host,
    port: broker.port,
    close(): Promise<void> {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Answer parked requests first, so clients see an answer rather than a reset; the answers
        // are written from promise callbacks, so let those run before ending the sockets.
        broker.close();
        await new Promise<void>((resolve) => setImmediate(resolve));
        for (const c of connections) c.end();
        const timer = setTimeout(() => {
          for (const c of connections) c.destroy();
        }, CLOSE_GRACE_MS);
        await closed;
        clearTimeout(timer);
        log('kafka-sandbox: closed');
      })();
      return closing;
    },
  };
}
