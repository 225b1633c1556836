import type { BrazeUserRef } from '../../core/ops.js';
import { userFromIds } from '../common/identifiers.js';
import {
  readBoolean, readProps, readRecord, readString, readTimestamp, readTimestampMs, type Props,
} from '../common/readers.js';

/** One record of `actioniq.audience-membership` (topics.md). */
export interface AudienceMembershipRecord {
  readonly audienceId: string;
  readonly splitId: string;
  readonly member: boolean;
  readonly user: BrazeUserRef;
  /** Epoch ms; when ActionIQ computed the membership (validated, not sent). */
  readonly updatedAtMs: number;
}

/** One record of `actioniq.user-attributes`. */
export interface UserAttributesRecord {
  readonly user: BrazeUserRef;
  readonly attributes: Props;
  /** Epoch ms (validated, not sent). */
  readonly updatedAtMs: number;
}

/** One record of `actioniq.events`. */
export interface ActionIqEventRecord {
  readonly name: string;
  readonly user: BrazeUserRef;
  readonly timestamp: string;
  readonly properties: Props;
}

export function readAudienceMembership(value: unknown): AudienceMembershipRecord {
  const record = readRecord(value);
  return {
    audienceId: readString(record, 'audience_id'),
    splitId: readString(record, 'split_id'),
    member: readBoolean(record, 'member'),
    updatedAtMs: readTimestampMs(record, 'updated_at'),
    user: userFromIds(record),
  };
}

export function readUserAttributes(value: unknown): UserAttributesRecord {
  const record = readRecord(value);
  return {
    attributes: readProps(record, 'attributes'),
    updatedAtMs: readTimestampMs(record, 'updated_at'),
    user: userFromIds(record),
  };
}

export function readActionIqEvent(value: unknown): ActionIqEventRecord {
  const record = readRecord(value);
  return {
    name: readString(record, 'name'),
    timestamp: readTimestamp(record, 'timestamp'),
    properties: readProps(record, 'properties'),
    user: userFromIds(record),
  };
}
