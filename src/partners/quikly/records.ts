import { MappingError, MAPPING_ERROR_CODES as CODES } from '../common/mapping-error.js';
import {
  readEnum, readOptionalString, readProps, readRecord, readString, readTimestamp, type InputRecord, type Props,
} from '../common/readers.js';

export const QUIKLY_ACTIVATION_KINDS = ['email_acquisition', 'sms_acquisition', 'attributes'] as const;
export type QuiklyActivationKind = (typeof QUIKLY_ACTIVATION_KINDS)[number];

/**
 * One record of `quikly.activations` (topics.md). Identity fields are as given: each flow checks the ones
 * it needs, so a bad phone on an email acquisition is not an error.
 */
export interface QuiklyActivation {
  readonly activationId: string;
  readonly kind: QuiklyActivationKind;
  /** ISO-8601. */
  readonly occurredAt: string;
  readonly email?: string;
  readonly phone?: string;
  readonly externalId?: string;
  readonly subscriptionGroupId?: string;
  readonly doubleOptIn: boolean;
  readonly qScope?: string;
  /** Levels or incentives reached: custom attributes. */
  readonly attributes: Props;
}

function readOptionalBoolean(record: InputRecord, field: string): boolean {
  const value = record[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new MappingError(CODES.invalidField, `field ${field} must be a boolean`);
  return value;
}

/** The activation id alone, so even a record that cannot be read whole can get a decision. */
export function readActivationId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const id = (value as Record<string, unknown>).activation_id;
  return typeof id === 'string' && id.trim().length > 0 ? id : undefined;
}

export function readQuiklyActivation(value: unknown): QuiklyActivation {
  const record = readRecord(value);
  const doubleOptIn = readOptionalBoolean(record, 'double_opt_in');
  return {
    activationId: readString(record, 'activation_id'),
    kind: readEnum(record, 'kind', QUIKLY_ACTIVATION_KINDS),
    occurredAt: readTimestamp(record, 'occurred_at'),
    email: readOptionalString(record, 'email'),
    phone: readOptionalString(record, 'phone'),
    externalId: readOptionalString(record, 'external_id'),
    subscriptionGroupId: readOptionalString(record, 'subscription_group_id'),
    doubleOptIn,
    qScope: readOptionalString(record, 'q_scope'),
    attributes: readProps(record, 'attributes'),
  };
}
