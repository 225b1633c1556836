/**
 * The measuring stack: `tributary sandbox` (Kafka broker, Schema Registry, Braze API sandbox) as its own process,
 * and a small client for the Braze sandbox's /_sandbox/ control endpoints.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { cleanEnv, firstLine, spawnChild, type Child } from './procs.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TRIBUTARY_BIN = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));

export interface SandboxAddresses {
  readonly kafka: string;
  readonly schemaRegistry: string;
  readonly braze: string;
  readonly brazeApiKey: string;
}

export interface SandboxOptions {
  readonly partitions: number;
  readonly brazeLatencyMs: number;
  readonly brazeLimits: 'default' | 'unlimited';
  readonly lean: boolean;
  readonly smsGroups?: readonly string[];
  readonly cpu: number | null;
  readonly name: string;
}

export interface SandboxProcess {
  readonly child: Child;
  readonly addresses: SandboxAddresses;
  readonly braze: BrazeControl;
  readonly options: SandboxOptions;
  stop(): Promise<void>;
}

let leanSupport: boolean | null = null;

/** Whether `tributary sandbox` knows `--lean` (request log off, validation kept): read from its --help. */
export function sandboxSupportsLean(): boolean {
  if (leanSupport === null) {
    const r = spawnSync(process.execPath, [TRIBUTARY_BIN, 'sandbox', '--help'], { encoding: 'utf8', env: cleanEnv(), cwd: ROOT, timeout: 30_000 });
    leanSupport = /--lean\b/.test(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return leanSupport;
}

export async function startSandboxProcess(options: SandboxOptions): Promise<SandboxProcess> {
  const args = [
    TRIBUTARY_BIN, 'sandbox', '--host', '127.0.0.1',
    '--kafka-port', '0', '--registry-port', '0', '--braze-port', '0',
    '--partitions', String(options.partitions),
    '--braze-latency-ms', String(options.brazeLatencyMs),
    '--braze-limits', options.brazeLimits,
    ...(options.lean ? ['--lean'] : []),
    ...(options.smsGroups ?? []).flatMap((g) => ['--sms-group', g]),
  ];
  const child = spawnChild(options.name, process.execPath, args, { cpu: options.cpu, cwd: ROOT });
  try {
    const addresses = await firstLine(child, (line) => {
      if (!line.startsWith('{')) return undefined;
      const parsed = JSON.parse(line) as Partial<SandboxAddresses> & { ready?: boolean };
      return parsed.ready && parsed.kafka && parsed.braze && parsed.schemaRegistry ? (parsed as SandboxAddresses) : undefined;
    }, 60_000);
    return { child, addresses, braze: new BrazeControl(addresses.braze), options, stop: () => child.stop(5000) };
  } catch (err) {
    await child.stop(1000);
    throw err;
  }
}

export interface BrazeCounters {
  requests: number;
  byEndpoint: Record<string, Record<string, number>>;
  objects: Record<'attributes' | 'events' | 'purchases', { received: number; processed: number; errors: number }>;
  rateLimited: number;
  profiles: number;
  /** The event-age histogram, when the sandbox has one (shape read by latency.ts). */
  eventAgeMs?: unknown;
}

export interface BrazeLogEntry {
  seq: number;
  timestamp: string;
  path: string;
  status: number | null;
  durationMs: number;
  requestBody: unknown;
}

const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });

export class BrazeControl {
  constructor(readonly url: string) {}

  private async call<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const res = await request(new URL(path, this.url), {
      method,
      dispatcher: agent,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  counters(): Promise<BrazeCounters> {
    return this.call('GET', '/_sandbox/counters');
  }

  /** Clears profiles, counters, rate windows, the request log (and the event-age histogram). */
  async reset(): Promise<void> {
    await this.call('POST', '/_sandbox/reset');
  }

  async configure(update: Record<string, unknown>): Promise<void> {
    await this.call('PUT', '/_sandbox/config', update);
  }

  async requests(limit: number): Promise<BrazeLogEntry[]> {
    const r = await this.call<{ requests: BrazeLogEntry[] }>('GET', `/_sandbox/requests?path=/users/track&limit=${limit}`);
    return r.requests;
  }
}

/** Objects received by /users/track, all three arrays. */
export function objectsOf(c: BrazeCounters): number {
  return c.objects.attributes.received + c.objects.events.received + c.objects.purchases.received;
}

/** /users/track answers by status ('201', '429', …). */
export function trackStatuses(c: BrazeCounters): Record<string, number> {
  return c.byEndpoint['POST /users/track'] ?? {};
}

export function sumValues(r: Record<string, number>, keep: (status: string) => boolean = () => true): number {
  let s = 0;
  for (const [k, v] of Object.entries(r)) if (keep(k)) s += v;
  return s;
}
