import { readOptionalString, readProps, readRecord, readString, readTimestamp, type Props } from '../common/readers.js';

/** One record of `braze.events` (topics.md): the shape of a Braze event object. */
export interface BrazeEventRecord {
  readonly name: string;
  /** Epoch milliseconds. */
  readonly timeMs: number;
  readonly timeZone?: string;
  readonly externalId?: string;
  readonly brazeId?: string;
  readonly email?: string;
  readonly properties: Props;
}

/** Reads a `braze.events` value; unknown fields are ignored, wrong types are refused (MappingError). */
export function readBrazeEvent(value: unknown): BrazeEventRecord {
  const record = readRecord(value);
  const timeZone = readOptionalString(record, 'time_zone');
  const externalId = readOptionalString(record, 'external_id');
  const brazeId = readOptionalString(record, 'braze_id');
  const email = readOptionalString(record, 'email');
  return {
    name: readString(record, 'name'),
    timeMs: Date.parse(readTimestamp(record, 'time')),
    properties: readProps(record, 'properties'),
    ...(timeZone === undefined ? {} : { timeZone }),
    ...(externalId === undefined ? {} : { externalId }),
    ...(brazeId === undefined ? {} : { brazeId }),
    ...(email === undefined ? {} : { email }),
  };
}
