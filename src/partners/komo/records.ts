import {
  readOptionalString, readProps, readRecord, readString, readTimestamp, type Props,
} from '../common/readers.js';

/** One record of `komo.submissions` (topics.md): a data-capture form submitted on a card of a hub. */
export interface KomoSubmissionRecord {
  readonly submissionId: string;
  readonly hubId: string;
  readonly cardId: string;
  /** ISO-8601. */
  readonly submittedAt: string;
  readonly brazeId?: string;
  readonly externalId?: string;
  /** As captured; checked only when the hub matches users by it. */
  readonly email?: string;
  /** As captured; checked only when the hub matches users by it. */
  readonly phone?: string;
  /** Everything the form captured, by Komo field name. */
  readonly fields: Props;
}

export function readKomoSubmission(value: unknown): KomoSubmissionRecord {
  const record = readRecord(value);
  return {
    submissionId: readString(record, 'submission_id'),
    hubId: readString(record, 'hub_id'),
    cardId: readString(record, 'card_id'),
    submittedAt: readTimestamp(record, 'submitted_at'),
    brazeId: readOptionalString(record, 'braze_id'),
    externalId: readOptionalString(record, 'external_id'),
    email: readOptionalString(record, 'email'),
    phone: readOptionalString(record, 'phone'),
    fields: readProps(record, 'fields'),
  };
}
