/**
 * The processor under test, `tributary run --config <file>`, as its own process: the default configuration
 * plus the connection facts of the sandbox it runs against. And its Prometheus metrics, read at the end.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { request } from 'undici';
import { loadConfig, type DeepPartial, type TributaryConfig } from '../../src/config/index.js';
import { requiredTopics } from '../../src/app/tributary-app.js';
import { firstLine, spawnChild, type Child } from './procs.js';
import { ROOT, TRIBUTARY_BIN, type SandboxAddresses } from './sandbox.js';
import type { TopicSpec } from './kafka.js';

/** A free TCP port on 127.0.0.1 (closed again before it is handed out). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface ProcessorSetup {
  /** Everything but the connection facts: what a scenario needs beyond the defaults (topic names, a Komo hub). */
  readonly extra?: DeepPartial<TributaryConfig>;
  /**
   * Keep braze.ambiguityWindowMs at its default (20 s): every run then waits 20 s after its first assignment
   * before it sends anything. Off by default: a fresh group on fresh topics has no previous owner to wait for.
   */
  readonly keepTakeoverHold: boolean;
}

/** The configuration file's tree: connection facts (and `extra`) over the defaults. */
export function processorConfig(sb: SandboxAddresses, groupId: string, metricsPort: number, setup: ProcessorSetup): DeepPartial<TributaryConfig> {
  const extra = setup.extra ?? {};
  return {
    ...extra,
    kafka: { ...extra.kafka, brokers: [sb.kafka], groupId },
    schemaRegistry: { ...extra.schemaRegistry, url: sb.schemaRegistry },
    braze: { ...extra.braze, restEndpoint: sb.braze, apiKey: sb.brazeApiKey, ...(setup.keepTakeoverHold ? {} : { ambiguityWindowMs: 0 }) },
    observability: { ...extra.observability, host: '127.0.0.1', port: metricsPort, logLevel: 'warn' },
  };
}

/** Every topic the processor needs to find at start-up (its inputs, dead letters, Quikly's), `partitions` each. */
export async function processorTopics(extra: DeepPartial<TributaryConfig> | undefined, partitions: number): Promise<TopicSpec[]> {
  const config = await loadConfig({ env: {}, overrides: { ...extra, braze: { ...extra?.braze, restEndpoint: 'http://127.0.0.1:1', apiKey: 'x' } } });
  return requiredTopics(config).map((t) => ({ name: t.name, partitions, ...(t.configs ? { configs: t.configs } : {}) }));
}

export interface ProcessorProcess {
  readonly child: Child;
  readonly metricsUrl: string;
  readonly configFile: string;
}

export async function startProcessor(
  name: string, sb: SandboxAddresses, groupId: string, setup: ProcessorSetup, dir: string, cpu: number | null,
): Promise<ProcessorProcess> {
  const port = await freePort();
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(configFile, stringify(processorConfig(sb, groupId, port, setup)));
  const child = spawnChild(name, process.execPath, [TRIBUTARY_BIN, 'run', '--config', configFile], { cpu, cwd: ROOT });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not running after 60 s\n${child.tail()}`)), 60_000);
    child.process.stderr!.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('tributary: running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) while starting\n${child.tail()}`));
    });
  });
  try {
    await ready;
  } catch (err) {
    await child.stop(1000);
    throw err;
  }
  return { child, metricsUrl: `http://127.0.0.1:${port}`, configFile };
}

/** Stdout of a peer process: ready as soon as it runs (the first object at Braze is what counts). */
export function readyLine(child: Child, timeoutMs: number): Promise<void> {
  return firstLine(child, (l) => (l.includes('"ready"') ? true : undefined), timeoutMs).then(() => undefined);
}

export type Metrics = Map<string, Array<{ labels: Record<string, string>; value: number }>>;

/** The processor's /metrics, parsed (counter and gauge samples; histogram series under their _bucket/_sum/_count names). */
export async function readMetrics(metricsUrl: string): Promise<Metrics> {
  const res = await request(`${metricsUrl}/metrics`);
  const text = await res.body.text();
  const out: Metrics = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const list = out.get(m[1]!) ?? [];
    list.push({ labels, value: Number(m[4]) });
    out.set(m[1]!, list);
  }
  return out;
}

export function metricSum(metrics: Metrics, name: string, keep: (labels: Record<string, string>) => boolean = () => true): number {
  return (metrics.get(name) ?? []).filter((s) => keep(s.labels)).reduce((a, s) => a + s.value, 0);
}
