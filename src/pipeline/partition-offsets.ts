import { OffsetWatermark } from '../core/offset-watermark.js';
import type { TopicPartitionOffset } from '../core/ports.js';

const PARTITION_SEP = '\u0000';

/**
 * The watermarks of the partitions this member read in the current generation: which offsets were taken
 * in, which are done, and how far each partition may be committed (invariant 1).
 */
export class PartitionOffsets {
  private watermarks = new Map<string, { topic: string; partition: number; wm: OffsetWatermark }>();

  /** A new generation: nothing read so far may be committed by this member any more. */
  reset(): void {
    this.watermarks = new Map();
  }

  of(topic: string, partition: number): OffsetWatermark {
    const key = topic + PARTITION_SEP + partition;
    let entry = this.watermarks.get(key);
    if (!entry) {
      entry = { topic, partition, wm: new OffsetWatermark() };
      this.watermarks.set(key, entry);
    }
    return entry.wm;
  }

  done(topic: string, partition: number, offset: string): void {
    this.watermarks.get(topic + PARTITION_SEP + partition)?.wm.done(offset);
  }

  /** Offsets that may be committed now. */
  committable(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const { topic, partition, wm } of this.watermarks.values()) {
      const offset = wm.committable();
      if (offset !== null) out.push({ topic, partition, offset });
    }
    return out;
  }

  markCommitted(o: TopicPartitionOffset): void {
    this.watermarks.get(o.topic + PARTITION_SEP + o.partition)?.wm.markCommitted(o.offset);
  }
}
