import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafkaSandbox, startSchemaRegistry } from '@tributary/sandbox';
import { EXTERNAL_KAFKA, EXTERNAL_REGISTRY, childEnv } from './e2e.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * What the tests that run `tributary run` as child processes share: Kafka (the sandbox, or the test's external
 * Kafka), a Schema Registry, a temporary folder for config files, and the processors, all stopped by close().
 */
export class ProcessorHarness {
  private readonly closers: Array<() => Promise<void>> = [];
  private readonly children: ChildProcess[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'tributary-processors-'));
  brokers: string[] = [];
  registryUrl = '';

  /** Starts the sandbox broker and registry unless the test run names external ones. */
  async startInfra(): Promise<this> {
    if (EXTERNAL_KAFKA) this.brokers = [...EXTERNAL_KAFKA];
    else {
      const kafka = await startKafkaSandbox({ partitions: 3, minSessionTimeoutMs: 100 });
      this.closers.push(() => kafka.close());
      this.brokers = [...kafka.brokers];
    }
    if (EXTERNAL_REGISTRY) this.registryUrl = EXTERNAL_REGISTRY;
    else {
      const registry = await startSchemaRegistry();
      this.closers.push(() => registry.close());
      this.registryUrl = registry.url;
    }
    return this;
  }

  /** `tributary run --config FILE` in a child process with `env` as its production configuration. */
  start(configFile: string, env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, ['--conditions=tributary-source', '--import', 'tsx', join(ROOT, 'src/main.ts'), 'run', '--config', configFile], {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.resume();
    this.children.push(child);
    return child;
  }

  /** Stops `child` with `signal` and resolves with its exit code. */
  static stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    return exited;
  }

  async close(): Promise<void> {
    for (const c of this.children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
