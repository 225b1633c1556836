/**
 * The embedded sandbox stack: a single-node Kafka broker, a Schema Registry and a Braze API sandbox.
 * For tests, demos and benchmarks only; production always runs against real Kafka and Braze.
 */
import { join } from 'node:path';
import { startKafkaSandbox, type KafkaSandbox, type KafkaSandboxOptions } from './kafka/index.js';
import { startSchemaRegistry, type SchemaRegistrySandbox } from './schema-registry/index.js';
import { startBrazeSandbox, type BrazeSandbox, type BrazeSandboxOptions } from './braze/index.js';

import { startMovableInkSandbox, startPartnerReceiver, startQuiklyWebhookSandbox, type PartnerReceiver, type RecordedRequest } from './partners/index.js';

export { startKafkaSandbox, startSchemaRegistry, startBrazeSandbox, startMovableInkSandbox, startQuiklyWebhookSandbox, startPartnerReceiver };
export type { PartnerReceiver, RecordedRequest };
export type { KafkaSandbox, SchemaRegistrySandbox, BrazeSandbox, KafkaSandboxOptions, BrazeSandboxOptions };

export interface SandboxOptions {
  readonly host?: string;
  readonly kafkaPort?: number;
  readonly registryPort?: number;
  readonly brazePort?: number;
  /** The Movable Ink and Quikly webhook receivers' ports (default 0: free ports). */
  readonly movableInkPort?: number;
  readonly quiklyWebhookPort?: number;
  /** Each part keeps its state in a sub-folder (kafka/, schema-registry/, braze/). */
  readonly dataDir?: string;
  readonly kafka?: Omit<KafkaSandboxOptions, 'host' | 'port' | 'dataDir'>;
  readonly braze?: Omit<BrazeSandboxOptions, 'host' | 'port' | 'dataDir'>;
  readonly log?: (line: string) => void;
}

export interface Sandbox {
  readonly kafka: KafkaSandbox;
  readonly schemaRegistry: SchemaRegistrySandbox;
  readonly braze: BrazeSandbox;
  /** Recording receivers for Movable Ink (user sandbox-user, password sandbox-password) and the Quikly webhook (token sandbox-quikly-token). */
  readonly movableInk: PartnerReceiver;
  readonly quiklyWebhook: PartnerReceiver;
  /** The ready line's fields. */
  readonly addresses: { kafka: string; schemaRegistry: string; braze: string; brazeApiKey: string; movableInk: string; quiklyWebhook: string };
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const sub = (name: string) => (options.dataDir ? { dataDir: join(options.dataDir, name) } : {});
  const log = options.log ? { log: options.log } : {};
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const kafka = await startKafkaSandbox({ ...options.kafka, ...log, host, port: options.kafkaPort ?? 0, ...sub('kafka') });
    started.push(kafka);
    const schemaRegistry = await startSchemaRegistry({ ...log, host, port: options.registryPort ?? 0, ...sub('schema-registry') });
    started.push(schemaRegistry);
    const braze = await startBrazeSandbox({ ...options.braze, ...log, host, port: options.brazePort ?? 0, ...sub('braze') });
    started.push(braze);
    const movableInk = await startMovableInkSandbox({ host, port: options.movableInkPort ?? 0 });
    started.push(movableInk);
    const quiklyWebhook = await startQuiklyWebhookSandbox({ host, port: options.quiklyWebhookPort ?? 0 });
    started.push(quiklyWebhook);
    return {
      kafka,
      schemaRegistry,
      braze,
      movableInk,
      quiklyWebhook,
      addresses: { kafka: kafka.brokers[0]!, schemaRegistry: schemaRegistry.url, braze: braze.url, brazeApiKey: braze.apiKey, movableInk: movableInk.url, quiklyWebhook: quiklyWebhook.url },
      close: async () => {
        await Promise.allSettled([braze.close(), schemaRegistry.close(), movableInk.close(), quiklyWebhook.close()]);
        await kafka.close();
      },
    };
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw err;
  }
}
