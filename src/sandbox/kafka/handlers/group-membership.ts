import { Writer } from '../codec.js';
import type { JoinResult, SyncResult } from '../group-coordinator.js';
import type { Handler } from './types.js';

function encodeJoin(version: number, r: JoinResult): Writer {
  const w = new Writer();
  if (version >= 2) w.int32(0);
  w.int16(r.errorCode).int32(r.generationId).string(r.protocolName).string(r.leaderId).string(r.memberId);
  w.array(r.members, (w2, m) => w2.string(m.memberId).bytes(m.metadata));
  return w;
}

function encodeSync(version: number, r: SyncResult): Writer {
  const w = new Writer();
  if (version >= 1) w.int32(0);
  // Never null: kafkajs's MemberAssignment.decode crashes on it.
  return w.int16(r.errorCode).bytes(r.assignment);
}

/** JoinGroup 0-2; the answer is parked until the rebalance completes. */
export const handleJoinGroup: Handler = (broker, body, ctx) => {
  const groupId = body.string();
  const sessionTimeoutMs = body.int32();
  // v0 has no rebalance timeout; Kafka uses the session timeout in its place.
  const rebalanceTimeoutMs = ctx.apiVersion >= 1 ? body.int32() : sessionTimeoutMs;
  const memberId = body.string();
  const protocolType = body.string();
  // Copies: the metadata outlives this request's buffer.
  const protocols = body.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }));
  const result = broker.groups.join({
    groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, protocolType, protocols,
    clientId: ctx.clientId, clientHost: ctx.clientHost,
  });
  return result instanceof Promise ? result.then((r) => encodeJoin(ctx.apiVersion, r)) : encodeJoin(ctx.apiVersion, result);
};

/** SyncGroup 0-1; followers are parked until the leader sends the assignment. */
export const handleSyncGroup: Handler = (broker, body, ctx) => {
  const groupId = body.string();
  const generationId = body.int32();
  const memberId = body.string();
  const assignments = new Map(body.array((r) => [r.string(), r.bytes()] as const));
  const result = broker.groups.sync(groupId, generationId, memberId, assignments);
  return result instanceof Promise ? result.then((r) => encodeSync(ctx.apiVersion, r)) : encodeSync(ctx.apiVersion, result);
};

/** Heartbeat 0-1. */
export const handleHeartbeat: Handler = (broker, body, ctx) => {
  const groupId = body.string();
  const generationId = body.int32();
  const memberId = body.string();
  const w = new Writer();
  if (ctx.apiVersion >= 1) w.int32(0);
  return w.int16(broker.groups.heartbeat(groupId, generationId, memberId));
};

/** LeaveGroup 0-1. */
export const handleLeaveGroup: Handler = (broker, body, ctx) => {
  const groupId = body.string();
  const memberId = body.string();
  const w = new Writer();
  if (ctx.apiVersion >= 1) w.int32(0);
  return w.int16(broker.groups.leave(groupId, memberId));
};
