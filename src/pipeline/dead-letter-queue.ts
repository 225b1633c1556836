import { backoffMs, type RetryPolicy } from '../core/retry-policy.js';
import type { Clock, DeadLetter, DeadLetterWriter, PipelineLog } from '../core/ports.js';

const DLQ_RETRY: RetryPolicy = { maxAttempts: Number.MAX_SAFE_INTEGER, baseMs: 200, maxMs: 10_000 };
/** Kafka's default message.max.bytes is 1 MiB per record batch; stay well under it. */
const DLQ_MAX_BYTES = 512 * 1024;
const DLQ_MAX_LETTERS = 500;

export interface DeadLetterQueueOptions<T> {
  readonly writer: DeadLetterWriter;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: PipelineLog;
  /** Called once a letter is acknowledged by Kafka: its record is done. */
  readonly onWritten: (ticket: T, letter: DeadLetter) => void;
}

function letterBytes(letter: DeadLetter): number {
  let n = 256 + letter.detail.length + (letter.record.key?.length ?? 0) + (letter.record.value?.length ?? 0);
  for (const [k, v] of Object.entries(letter.record.headers)) n += k.length + (v?.length ?? 0);
  return n;
}

/** The longest prefix within both limits, and at least one letter. */
function sliceByBytes<E extends { letter: DeadLetter }>(list: E[], maxLetters: number, maxBytes: number): E[] {
  let bytes = 0;
  let n = 0;
  while (n < list.length && n < maxLetters) {
    bytes += letterBytes(list[n]!.letter);
    if (n > 0 && bytes > maxBytes) break;
    n++;
  }
  return list.slice(0, n);
}

/**
 * Writes dead letters in batches (bounded in count and bytes); a record counts as done only once its letter
 * is acknowledged. Retryable failures are retried with backoff for as long as it takes: losing a letter is
 * not an option, and its record stays uncommitted meanwhile. A batch the broker refuses outright is split
 * into single letters; a single letter it still refuses (too large, say) is written without its value,
 * with a header saying why.
 */
export class DeadLetterQueue<T> {
  private pending: Array<{ ticket: T; letter: DeadLetter }> = [];
  private stopped = false;
  private flushing: Promise<void> | null = null;

  constructor(private readonly options: DeadLetterQueueOptions<T>) {}

  /** Letters not yet acknowledged. */
  get size(): number {
    return this.pending.length;
  }

  add(ticket: T, letter: DeadLetter): void {
    this.pending.push({ ticket, letter });
    if (!this.flushing) this.flushing = this.flush();
  }

  /** Resolves when nothing is being written. */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Stop writing: letters still unwritten stay pending; their records are not committed and will be read again. */
  stop(): void {
    this.stopped = true;
  }

  private async flush(): Promise<void> {
    const { writer, clock, random, log } = this.options;
    await Promise.resolve();
    let attempt = 1;
    let singlesLeft = 0;
    while (this.pending.length > 0 && !this.stopped) {
      const batch = singlesLeft > 0 ? this.pending.slice(0, 1) : sliceByBytes(this.pending, DLQ_MAX_LETTERS, DLQ_MAX_BYTES);
      try {
        await writer.write(batch.map((b) => b.letter));
      } catch (err) {
        const e = err as { retryable?: boolean; message?: string };
        if (e.retryable === false && batch.length > 1) {
          singlesLeft = batch.length;
          continue;
        }
        if (e.retryable === false && batch[0]!.letter.valueDropped === undefined) {
          const only = batch[0]!;
          only.letter = { ...only.letter, record: { ...only.letter.record, value: null }, valueDropped: `the dead-letter topic refused the original value: ${e.message ?? 'error'}` };
          log.error({ code: only.letter.code }, 'a dead letter was refused by Kafka; writing it without its original value');
          continue;
        }
        log.error({ attempt, letters: batch.length, err: e.message }, 'cannot write to the dead-letter topic; retrying (offsets stay uncommitted)');
        await new Promise<void>((resolve) => clock.setTimeout(resolve, backoffMs(attempt++, DLQ_RETRY, random)));
        continue;
      }
      attempt = 1;
      if (singlesLeft > 0) singlesLeft--;
      this.pending.splice(0, batch.length);
      for (const { ticket, letter } of batch) this.options.onWritten(ticket, letter);
    }
    this.flushing = null;
  }
}
