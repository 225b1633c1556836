/**
 * The per-record design, as partner webhooks work: one /users/track request per record, up to `maxInFlight`
 * requests at once across all partitions (default 100: enough for Braze's 1,000 requests/s at 100 ms). A partition's
 * offset is committed up to the first record not yet delivered.
 *
 *   node --import tsx bench/designs/per-record.ts '<json DesignArgs>'
 */
import { BrazeClient, brazeObject, designArgs, lifecycle, runConsumer } from './common.js';

const args = designArgs();
const maxInFlight = args.maxInFlight ?? 100;
const braze = new BrazeClient(args, maxInFlight);

/** A counting semaphore shared by every partition. */
let free = maxInFlight;
const waiting: Array<() => void> = [];
const acquire = (): Promise<void> => (free > 0 ? (free--, Promise.resolve()) : new Promise((r) => waiting.push(r)));
const release = () => {
  const next = waiting.shift();
  if (next) next();
  else free++;
};

const consumer = await runConsumer(args, async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }, decode) => {
  const done = new Array<boolean>(batch.messages.length).fill(false);
  let next = 0;
  const advance = () => {
    while (next < done.length && done[next]) next++;
    if (next > 0) resolveOffset(batch.messages[next - 1]!.offset);
  };
  const tasks: Promise<void>[] = [];
  let lastBeat = Date.now();
  for (let i = 0; i < batch.messages.length; i++) {
    if (!isRunning() || isStale()) break;
    await acquire();
    const m = batch.messages[i]!;
    tasks.push((async () => {
      try {
        const o = brazeObject(await decode(m.value));
        if (o !== null) await braze.track([o]);
        done[i] = true;
        advance();
      } finally {
        release();
      }
    })());
    if (Date.now() - lastBeat > 1000) {
      lastBeat = Date.now();
      await heartbeat();
      await commitOffsetsIfNecessary();
    }
  }
  await Promise.all(tasks);
  await commitOffsetsIfNecessary();
});

lifecycle(async () => {
  await consumer.disconnect();
  await braze.close();
});
