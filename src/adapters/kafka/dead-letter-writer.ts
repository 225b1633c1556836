import type { IHeaders, Producer } from 'kafkajs';
import type { DeadLetter } from '../../core/ports.js';
import { TributaryError } from '../../core/errors.js';

/** Header names of topics.md's tributary.dlq contract. */
export const DLQ_HEADERS = {
  sourceTopic: 'tributary.source.topic',
  sourcePartition: 'tributary.source.partition',
  sourceOffset: 'tributary.source.offset',
  errorCode: 'tributary.error.code',
  errorDetail: 'tributary.error.detail',
  failedAt: 'tributary.failed.at',
  brazeErrorType: 'tributary.braze.error.type',
  valueDropped: 'tributary.value.dropped',
  delivered: 'tributary.delivered',
} as const;

/** Writes dead letters with the original key, value and headers plus the tributary.* headers; acks from all replicas. */
export function createDeadLetterWriter(producer: Producer, topic: string) {
  return {
    async write(letters: readonly DeadLetter[]): Promise<void> {
      if (letters.length === 0) return;
      try {
        await send(letters);
      } catch (err) {
        // kafkajs marks what retrying cannot fix (MESSAGE_TOO_LARGE, authorization...) as not retriable.
        const e = err as { retriable?: boolean; name?: string; message?: string };
        const retryable = e.retriable !== false && e.name !== 'KafkaJSNonRetriableError';
        throw new TributaryError('dead_letter_write_failed', `writing to ${topic} failed: ${e.message ?? String(err)}`, { retryable, cause: err });
      }
    },
  };

  async function send(letters: readonly DeadLetter[]): Promise<void> {
    await producer.send({
      topic,
      acks: -1,
      messages: letters.map((l) => {
        const headers: IHeaders = {};
        for (const [k, v] of Object.entries(l.record.headers)) if (v !== undefined) headers[k] = v;
        headers[DLQ_HEADERS.sourceTopic] = l.record.topic;
        headers[DLQ_HEADERS.sourcePartition] = String(l.record.partition);
        headers[DLQ_HEADERS.sourceOffset] = l.record.offset;
        headers[DLQ_HEADERS.errorCode] = l.code;
        headers[DLQ_HEADERS.errorDetail] = l.detail;
        headers[DLQ_HEADERS.failedAt] = new Date(l.failedAtMs).toISOString();
        if (l.brazeErrorType) headers[DLQ_HEADERS.brazeErrorType] = l.brazeErrorType;
        if (l.valueDropped) headers[DLQ_HEADERS.valueDropped] = l.valueDropped;
        if (l.delivered) headers[DLQ_HEADERS.delivered] = l.delivered;
        return { key: l.record.key, value: l.record.value, headers };
      }),
    });
  }
}
