import { Writer } from '../codec.js';
import { ErrorCode } from '../protocol.js';
import type { Handler } from './types.js';

/** InitProducerId 0-1 (v1 is v0): a fresh producer id at epoch 0 for idempotent producers. */
export const handleInitProducerId: Handler = (broker, body) => {
  body.nullableString(); // transactional_id: transactions are not implemented
  body.int32(); // transaction_timeout_ms
  return new Writer().int32(0).int16(ErrorCode.NONE).int64(broker.allocateProducerId()).int16(0);
};
