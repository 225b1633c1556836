/**
 * The partition-bound design, as Kafka Connect HTTP sinks and an ordered Redpanda Connect pipeline work: each
 * partition sends one batch of at most 75 objects at a time, and the next only once Braze acknowledged it (per-user
 * order kept, since a user's records are in one partition). Offsets are committed after delivery.
 *
 *   node --import tsx bench/designs/partition-bound.ts '<json DesignArgs>'
 */
import { BrazeClient, brazeObject, designArgs, lifecycle, runConsumer } from './common.js';

const BATCH = 75;
const args = designArgs();
const braze = new BrazeClient(args, args.partitions);

const consumer = await runConsumer(args, async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }, decode) => {
  for (let start = 0; start < batch.messages.length; start += BATCH) {
    if (!isRunning() || isStale()) return;
    const chunk = batch.messages.slice(start, start + BATCH);
    const objects: object[] = [];
    for (const m of chunk) {
      const o = brazeObject(await decode(m.value));
      if (o !== null) objects.push(o);
    }
    if (objects.length > 0) await braze.track(objects);
    resolveOffset(chunk[chunk.length - 1]!.offset);
    await heartbeat();
    await commitOffsetsIfNecessary();
  }
});

lifecycle(async () => {
  await consumer.disconnect();
  await braze.close();
});
