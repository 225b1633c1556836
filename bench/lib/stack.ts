/** A scenario's measuring stack: the sandbox process on core 1, its topics created, the schemas registered. */
import type { DeepPartial, TributaryConfig } from '../../src/config/index.js';
import { cpuOrNull, STACK_CPU, type BenchContext } from './contest.js';
import { KafkaView, registerSchemas } from './kafka.js';
import { processorTopics } from './processor.js';
import { startSandboxProcess, type SandboxProcess } from './sandbox.js';

export interface Stack {
  readonly sb: SandboxProcess;
  readonly kafka: KafkaView;
  /** Whether this sandbox runs with --lean. */
  readonly lean: boolean;
  close(): Promise<void>;
}

export interface StackOptions {
  readonly name: string;
  readonly partitions: number;
  readonly brazeLatencyMs: number;
  readonly brazeLimits: 'default' | 'unlimited';
  readonly smsGroups?: readonly string[];
  /** Use --lean when the context allows it (default true). */
  readonly lean?: boolean;
  /** What the processor will be configured with beyond the defaults (for the topics it needs). */
  readonly processorExtra?: DeepPartial<TributaryConfig>;
}

export async function startStack(ctx: BenchContext, o: StackOptions): Promise<Stack> {
  const lean = ctx.lean && o.lean !== false;
  const sb = await startSandboxProcess({
    name: o.name, partitions: o.partitions, brazeLatencyMs: o.brazeLatencyMs, brazeLimits: o.brazeLimits, lean,
    ...(o.smsGroups ? { smsGroups: o.smsGroups } : {}), cpu: cpuOrNull(ctx, STACK_CPU),
  });
  let kafka: KafkaView | null = null;
  try {
    kafka = await KafkaView.connect([sb.addresses.kafka]);
    await kafka.createTopics(await processorTopics(o.processorExtra, o.partitions));
    await registerSchemas(sb.addresses.schemaRegistry);
    const k = kafka;
    return {
      sb, kafka: k, lean,
      close: async () => {
        await k.close();
        await sb.stop();
      },
    };
  } catch (err) {
    await kafka?.close();
    await sb.stop();
    throw err;
  }
}

/** Checks that the topic holds exactly `expected` records from offset 0 (nothing dropped by retention). */
export async function checkHeld(kafka: KafkaView, topic: string, expected: number): Promise<void> {
  const o = await kafka.offsets(topic);
  if (o.low !== 0 || o.high !== expected) {
    throw new Error(`${topic} holds offsets ${o.low}..${o.high} over ${o.partitions} partitions; expected 0..${expected}: records were dropped or are missing`);
  }
}
