import type { Reader } from '../codec.js';
import { Writer } from '../codec.js';
import type { JoinResult, SyncResult } from '../group-coordinator.js';
import { ErrorCode } from '../protocol.js';
import type { Handler } from './types.js';

// Static membership (KIP-345, group.instance.id) is not implemented. The field is parsed where it
// appears (JoinGroup v5, SyncGroup v3, Heartbeat v3, LeaveGroup v3); a request that sets it gets
// UNSUPPORTED_VERSION, which is what Kafka answers while static membership is unavailable.

function encodeJoin(version: number, r: JoinResult): Writer {
  const w = new Writer();
  if (version >= 2) w.int32(0);
  w.int16(r.errorCode).int32(r.generationId).string(r.protocolName).string(r.leaderId).string(r.memberId);
  w.array(r.members, (w2, m) => {
    w2.string(m.memberId);
    if (version >= 5) w2.nullableString(null); // group_instance_id: every member is dynamic
    w2.bytes(m.metadata);
  });
  return w;
}

function encodeSync(version: number, r: SyncResult): Writer {
  const w = new Writer();
  if (version >= 1) w.int32(0);
  // Never null: kafkajs's MemberAssignment.decode crashes on it.
  return w.int16(r.errorCode).bytes(r.assignment);
}

function encodeErrorOnly(version: number, errorCode: number): Writer {
  const w = new Writer();
  if (version >= 1) w.int32(0);
  return w.int16(errorCode);
}

/**
 * JoinGroup 0-5; the answer is parked until the rebalance completes. From v4 a member without an
 * id first gets MEMBER_ID_REQUIRED (79) with a new id and must rejoin with it.
 */
export const handleJoinGroup: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  const groupId = body.string();
  const sessionTimeoutMs = body.int32();
  // v0 has no rebalance timeout; Kafka uses the session timeout in its place.
  const rebalanceTimeoutMs = v >= 1 ? body.int32() : sessionTimeoutMs;
  const memberId = body.string();
  const groupInstanceId = v >= 5 ? body.nullableString() : null;
  const protocolType = body.string();
  // Copies: the metadata outlives this request's buffer.
  const protocols = body.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }));
  if (groupInstanceId !== null) {
    return encodeJoin(v, { errorCode: ErrorCode.UNSUPPORTED_VERSION, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] });
  }
  const result = broker.groups.join({
    groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, protocolType, protocols,
    clientId: ctx.clientId, clientHost: ctx.clientHost, requireKnownMemberId: v >= 4,
  });
  return result instanceof Promise ? result.then((r) => encodeJoin(v, r)) : encodeJoin(v, result);
};

/** SyncGroup 0-3; followers are parked until the leader sends the assignment. */
export const handleSyncGroup: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  const groupId = body.string();
  const generationId = body.int32();
  const memberId = body.string();
  const groupInstanceId = v >= 3 ? body.nullableString() : null;
  const assignments = new Map(body.array((r) => [r.string(), r.bytes()] as const));
  if (groupInstanceId !== null) return encodeSync(v, { errorCode: ErrorCode.UNSUPPORTED_VERSION, assignment: Buffer.alloc(0) });
  const result = broker.groups.sync(groupId, generationId, memberId, assignments);
  return result instanceof Promise ? result.then((r) => encodeSync(v, r)) : encodeSync(v, result);
};

/** Heartbeat 0-3. */
export const handleHeartbeat: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  const groupId = body.string();
  const generationId = body.int32();
  const memberId = body.string();
  const groupInstanceId = v >= 3 ? body.nullableString() : null;
  if (groupInstanceId !== null) return encodeErrorOnly(v, ErrorCode.UNSUPPORTED_VERSION);
  return encodeErrorOnly(v, broker.groups.heartbeat(groupId, generationId, memberId));
};

function readLeavingMembers(body: Reader, version: number): { memberId: string; groupInstanceId: string | null }[] {
  if (version < 3) return [{ memberId: body.string(), groupInstanceId: null }];
  return body.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }));
}

/**
 * LeaveGroup 0-3. v3 names a batch of members and answers each one; the top-level error is only
 * for the group as a whole. No member is static, so a member is always found by its member id.
 */
export const handleLeaveGroup: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  const groupId = body.string();
  const members = readLeavingMembers(body, v);
  if (v < 3) return encodeErrorOnly(v, broker.groups.leave(groupId, members[0].memberId));
  const w = new Writer().int32(0);
  if (broker.groups.isClosed) {
    return w.int16(ErrorCode.COORDINATOR_NOT_AVAILABLE).int32(0);
  }
  const results = members.map((m) => ({
    ...m,
    errorCode: m.memberId === '' ? ErrorCode.UNKNOWN_MEMBER_ID : broker.groups.leave(groupId, m.memberId),
  }));
  w.int16(ErrorCode.NONE);
  w.array(results, (w2, r) => w2.string(r.memberId).nullableString(r.groupInstanceId).int16(r.errorCode));
  return w;
};
