/**
 * What the two comparison designs share: their arguments, a kafkajs consumer that decodes Avro through the
 * Schema Registry, tributary's own ActionIQ mapper, and a Braze client that retries 429 and 5xx with backoff.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import { Agent, request } from 'undici';
import { mapAudienceMembership } from '../../src/partners/actioniq/mappers.js';
import { ACTIONIQ_DEFAULTS } from '../../src/partners/actioniq/options.js';

export interface DesignArgs {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly registryUrl: string;
  readonly brazeUrl: string;
  readonly apiKey: string;
  readonly partitions: number;
  /** Requests in flight at once (the per-record design). */
  readonly maxInFlight?: number;
}

export function designArgs(): DesignArgs {
  return JSON.parse(process.argv[2] ?? '{}') as DesignArgs;
}

/** A record's Braze attributes object, `{external_id, AIQ_<audience>_<split>: member}`, or null when it maps to none. */
export function brazeObject(value: unknown): object | null {
  const result = mapAudienceMembership(value, ACTIONIQ_DEFAULTS);
  if (result.type !== 'ops') return null;
  const op = result.ops[0];
  if (op?.kind !== 'track.attributes') return null;
  return { ...op.user, ...op.attributes };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** POST /users/track, retried on 429, 5xx and network errors: exponential backoff with jitter, or Braze's reset time. */
export class BrazeClient {
  private readonly agent: Agent;
  private readonly url: URL;
  requests = 0;

  constructor(private readonly args: DesignArgs, connections: number) {
    this.agent = new Agent({ connections, keepAliveTimeout: 30_000, pipelining: 1 });
    this.url = new URL('/users/track', args.brazeUrl);
  }

  async track(attributes: readonly object[]): Promise<void> {
    const body = JSON.stringify({ attributes });
    for (let attempt = 0; ; attempt++) {
      let wait = Math.min(30_000, 200 * 2 ** attempt) * (0.5 + Math.random() / 2);
      try {
        this.requests++;
        const res = await request(this.url, {
          method: 'POST',
          dispatcher: this.agent,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.args.apiKey}` },
          body,
        });
        await res.body.dump();
        if (res.statusCode < 300) return;
        if (res.statusCode !== 429 && res.statusCode < 500) throw new Error(`Braze answered ${res.statusCode}`);
        const reset = Number(res.headers['x-ratelimit-reset']);
        if (res.statusCode === 429 && Number.isFinite(reset) && reset > 0) wait = Math.max(50, reset * 1000 - Date.now()) + Math.random() * 100;
      } catch (err) {
        if ((err as Error).message.startsWith('Braze answered')) throw err;
      }
      await sleep(wait);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** A consumer of the topic from the beginning, every partition at once, offsets resolved and committed by the design. */
export async function runConsumer(
  args: DesignArgs,
  eachBatch: (payload: EachBatchPayload, decode: (value: Buffer | null) => Promise<unknown>) => Promise<void>,
): Promise<Consumer> {
  const registry = new SchemaRegistry({ host: args.registryUrl });
  const decode = async (value: Buffer | null) => (value === null ? null : registry.decode(value));
  const kafka = new Kafka({ clientId: 'bench-design', brokers: [...args.brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: args.groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs: 500,
    maxBytesPerPartition: 1_048_576,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: args.topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: args.partitions,
    eachBatchAutoResolve: false,
    autoCommit: true,
    autoCommitInterval: 1000,
    eachBatch: (payload) => eachBatch(payload, decode),
  });
  return consumer;
}

/** Stops cleanly on SIGTERM/SIGINT; prints the ready line. */
export function lifecycle(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    // Bounded: a consumer whose broker is gone may never finish disconnecting.
    setTimeout(() => process.exit(0), 3000).unref();
    void stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}
