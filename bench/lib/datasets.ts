/**
 * The records of each scenario, deterministic for a seed, Avro-shaped per the topic contracts in schemas/ and
 * keyed by user. Shared by the producer process (which writes them) and the orchestrator (which knows what to
 * expect).
 */
import { SampleRecordGenerator, mulberry32, type SampleRecord } from '../../src/app/sample-records.js';

export type DatasetSpec =
  /** actioniq.audience-membership: one boolean attribute per record; `hotShare` of the records from one user. */
  | { readonly kind: 'membership'; readonly records: number; readonly users: number; readonly seed: number; readonly hotShare?: number }
  /** Every partner's topics interleaved, as the demo's generator makes them (valid records only). */
  | { readonly kind: 'mixed'; readonly records: number; readonly users: number; readonly seed: number; readonly quiklyShare: number }
  /** actioniq.events stamped with the time they are produced (for end-to-end latency). */
  | { readonly kind: 'events'; readonly users: number; readonly seed: number };

/** The external_id of the hot user of the hot-user scenario. */
export const HOT_USER = 'hot-user-000001';

const AUDIENCES = [['1041', 'A'], ['1041', 'B'], ['2210', 'control'], ['3305', 'holdout']] as const;
const EVENT_NAMES = ['product_viewed', 'cart_abandoned', 'store_visit', 'app_opened'] as const;
/** A fixed instant for the membership records' updated_at, so runs are identical. */
const UPDATED_AT = Date.UTC(2026, 0, 1);


const userId = (n: number) => `u${String(n).padStart(7, '0')}`;

/** A generator of `spec`'s records; `now` stamps event records (called once per record). */
export function recordSource(spec: DatasetSpec, now: () => number = Date.now): () => SampleRecord | null {
  switch (spec.kind) {
    case 'membership': {
      const random = mulberry32(spec.seed);
      let left = spec.records;
      const hot = spec.hotShare ?? 0;
      return () => {
        if (left-- <= 0) return null;
        const user = hot > 0 && random() < hot ? HOT_USER : userId(Math.floor(random() * spec.users));
        const [audience, split] = AUDIENCES[Math.floor(random() * AUDIENCES.length)]!;
        return {
          topicKey: 'actioniqAudienceMembership',
          key: user,
          value: { audience_id: audience, split_id: split, member: random() < 0.7, external_id: user, braze_id: null, updated_at: UPDATED_AT },
        };
      };
    }
    case 'mixed': {
      const gen = new SampleRecordGenerator({ seed: spec.seed, users: spec.users, badShare: 0, quiklyShare: spec.quiklyShare, nowMs: UPDATED_AT });
      let left = spec.records;
      return () => (left-- <= 0 ? null : gen.next());
    }
    case 'events': {
      const random = mulberry32(spec.seed);
      return () => {
        const user = userId(Math.floor(random() * spec.users));
        return {
          topicKey: 'actioniqEvents',
          key: user,
          value: {
            name: EVENT_NAMES[Math.floor(random() * EVENT_NAMES.length)]!,
            external_id: user,
            braze_id: null,
            timestamp: now(),
            properties: { sku: `SKU-${100 + Math.floor(random() * 900)}`, price: Math.round(random() * 10000) / 100 },
          },
        };
      };
    }
  }
}

/** Records of a finite dataset (null for a live one). */
export function recordCount(spec: DatasetSpec): number | null {
  return spec.kind === 'events' ? null : spec.records;
}
