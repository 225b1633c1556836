import { Writer } from '../codec.js';
import { ErrorCode, NODE_ID } from '../protocol.js';
import type { Handler } from './types.js';

/** FindCoordinator 0-2 (v2 is v1): this node coordinates every group (and would every transaction). */
export const handleFindCoordinator: Handler = (broker, body, ctx) => {
  body.string(); // key
  if (ctx.apiVersion >= 1) body.int8(); // key_type
  const w = new Writer();
  if (ctx.apiVersion >= 1) w.int32(0);
  w.int16(ErrorCode.NONE);
  if (ctx.apiVersion >= 1) w.nullableString(null);
  w.int32(NODE_ID).string(broker.host).int32(broker.port);
  return w;
};
