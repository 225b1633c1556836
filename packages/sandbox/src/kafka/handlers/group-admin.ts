import { Writer } from '../codec.js';
import { ErrorCode } from '../protocol.js';
import type { Handler } from './types.js';

/** DescribeGroups 0-2 (v2 is v1). An unknown group is reported as Dead with no error, as Kafka does. */
export const handleDescribeGroups: Handler = (broker, body, ctx) => {
  const groupIds = body.array((r) => r.string());
  const w = new Writer();
  if (ctx.apiVersion >= 1) w.int32(0);
  w.array(groupIds, (w2, groupId) => {
    const d = broker.groups.describe(groupId);
    w2.int16(ErrorCode.NONE).string(d.groupId).string(d.state).string(d.protocolType).string(d.protocolName);
    w2.array(d.members, (w3, m) => {
      w3.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment);
    });
  });
  return w;
};

/** ListGroups 0-2 (v2 is v1). */
export const handleListGroups: Handler = (broker, _body, ctx) => {
  const w = new Writer();
  if (ctx.apiVersion >= 1) w.int32(0);
  w.int16(ErrorCode.NONE);
  w.array(broker.groups.list(), (w2, g) => w2.string(g.groupId).string(g.protocolType));
  return w;
};

/** DeleteGroups 0-1 (v1 is v0): NON_EMPTY_GROUP or GROUP_ID_NOT_FOUND per group, else the group and its offsets go. */
export const handleDeleteGroups: Handler = (broker, body) => {
  const groupIds = body.array((r) => r.string());
  const w = new Writer();
  w.int32(0);
  w.array(groupIds, (w2, groupId) => w2.string(groupId).int16(broker.groups.delete(groupId)));
  return w;
};
