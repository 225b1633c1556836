import { Writer } from '../codec.js';
import { ErrorCode, SUPPORTED_VERSIONS } from '../protocol.js';
import type { Handler } from './types.js';

const MAX_API_VERSIONS_VERSION = 2;

/**
 * ApiVersions 0-2. A newer request gets UNSUPPORTED_VERSION with the supported ranges in the v0
 * body, as Kafka does, so the client can retry at a version both sides know.
 */
export const handleApiVersions: Handler = (_broker, _body, ctx) => {
  const w = new Writer();
  const tooNew = ctx.apiVersion > MAX_API_VERSIONS_VERSION;
  w.int16(tooNew ? ErrorCode.UNSUPPORTED_VERSION : ErrorCode.NONE);
  w.array(SUPPORTED_VERSIONS, (w2, r) => w2.int16(r.apiKey).int16(r.minVersion).int16(r.maxVersion));
  if (!tooNew && ctx.apiVersion >= 1) w.int32(0);
  return w;
};
