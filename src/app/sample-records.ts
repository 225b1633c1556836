/**
 * Realistic sample records for every partner topic, for the demo, the benchmarks and end-to-end tests.
 * Deterministic for a seed. A small share is deliberately bad (no identifier, unknown Komo hub) so the
 * dead-letter path is visible.
 */
import type { InputTopicKey } from '../config/index.js';

export interface SampleRecord {
  readonly topicKey: InputTopicKey;
  /** The user's identifier, as topics.md asks data engineers to key records. */
  readonly key: string;
  readonly value: Record<string, unknown>;
}

export interface SampleOptions {
  readonly seed?: number;
  readonly users?: number;
  /** Share of records that are deliberately invalid. Default 0.01. */
  readonly badShare?: number;
  /** Epoch ms stamped on records (defaults to the generator's start time). */
  readonly nowMs?: number;
  readonly komoHubId?: string;
  /** Share of records that are Quikly activations (email and SMS acquisitions). Default 0. */
  readonly quiklyShare?: number;
}

/** The SMS subscription group of the sample Quikly activations (the demo declares it in the Braze sandbox). */
export const SAMPLE_SMS_GROUP = '3c6d9e1f-5a7b-4c8d-9e0f-1a2b3c4d5e6f';

export const SAMPLE_KOMO_HUB = 'hub-summer-quiz';
export const SAMPLE_KOMO_HUB_CONFIG = {
  [SAMPLE_KOMO_HUB]: { userMatch: 'email_alias' as const, fields: { first_name: 'first_name', favourite_flavour: 'komo_favourite_flavour', quiz_score: 'komo_quiz_score' } },
};

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence, so sample data is repeatable. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Radia', 'Tim', 'Margaret', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Perlman', 'Berners-Lee', 'Hamilton', 'Torvalds'];
const AUDIENCES = [['1041', 'A'], ['1041', 'B'], ['2210', 'control'], ['3305', 'holdout']] as const;
const EVENTS = ['product_viewed', 'cart_abandoned', 'store_visit', 'app_opened'];
const FLAVOURS = ['vanilla', 'pistachio', 'mango', 'salted caramel'];
const REWARD_STATES = ['FULFILLED', 'FULFILLED', 'EARNED', 'SENT'];

export class SampleRecordGenerator {
  private readonly random: () => number;
  private readonly users: number;
  private readonly badShare: number;
  private readonly nowMs: number;
  private readonly hub: string;
  private seq = 0;
  private readonly quiklyShare: number;

  constructor(options: SampleOptions = {}) {
    this.random = mulberry32(options.seed ?? 42);
    this.users = options.users ?? 500;
    this.badShare = options.badShare ?? 0.01;
    this.nowMs = options.nowMs ?? Date.now();
    this.hub = options.komoHubId ?? SAMPLE_KOMO_HUB;
    this.quiklyShare = options.quiklyShare ?? 0;
  }

  /** A Quikly activation: an email or an SMS acquisition of the user (SMS into SAMPLE_SMS_GROUP). */
  private quikly(seq: number, at: number, u: { id: string; email: string }, bad: boolean): SampleRecord {
    const sms = this.random() < 0.5;
    const phone = `+1555${String(2000000 + (Number(u.id.slice(1)) % 1000000)).padStart(7, '0')}`;
    return {
      topicKey: 'quiklyActivations',
      key: u.email,
      value: {
        activation_id: `qk-${seq}`,
        kind: sms ? 'sms_acquisition' : 'email_acquisition',
        occurred_at: at,
        email: u.email,
        phone: sms ? (bad ? 'not a phone' : phone) : null,
        external_id: null,
        subscription_group_id: sms ? SAMPLE_SMS_GROUP : null,
        double_opt_in: false,
        q_scope: 'spring-launch',
        attributes: { quikly_level: 1 + Math.floor(this.random() * 3) },
      },
    };
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  private user() {
    const n = Math.floor(this.random() * this.users);
    const id = `u${String(n).padStart(5, '0')}`;
    return { id, email: `${id}@example.com`, first: FIRST[n % FIRST.length]!, last: LAST[(n * 7) % LAST.length]! };
  }

  /** The next record, cycling through the partner topics with realistic proportions. */
  next(): SampleRecord {
    const seq = this.seq++;
    const at = this.nowMs + seq;
    const bad = this.random() < this.badShare;
    const u = this.user();
    if (this.quiklyShare > 0 && this.random() < this.quiklyShare) return this.quikly(seq, at, u, bad);
    const roll = this.random();
    if (roll < 0.4) {
      const [audience, split] = this.pick(AUDIENCES);
      return {
        topicKey: 'actioniqAudienceMembership',
        key: u.id,
        value: { audience_id: audience, split_id: split, member: this.random() < 0.7, external_id: bad ? null : u.id, braze_id: null, updated_at: at },
      };
    }
    if (roll < 0.5) {
      return {
        topicKey: 'actioniqUserAttributes',
        key: u.id,
        value: { external_id: bad ? null : u.id, braze_id: null, attributes: { lifetime_value: Math.round(this.random() * 50000) / 100, loyalty_tier: this.pick(['bronze', 'silver', 'gold']), churn_risk: Math.round(this.random() * 100) / 100 }, updated_at: at },
      };
    }
    if (roll < 0.7) {
      return {
        topicKey: 'actioniqEvents',
        key: u.id,
        value: { name: this.pick(EVENTS), external_id: bad ? null : u.id, braze_id: null, timestamp: at, properties: { sku: `SKU-${Math.floor(this.random() * 900) + 100}`, price: Math.round(this.random() * 10000) / 100, quantity: 1 + Math.floor(this.random() * 3) } },
      };
    }
    if (roll < 0.88) {
      const k = this.random();
      const base = { event_id: `ext-${seq}`, occurred_at: at, partner_user_id: bad ? null : u.id, email: bad ? null : u.email, first_name: u.first, last_name: u.last, properties: {} };
      if (k < 0.6) {
        const shared = this.random() < 0.5;
        return {
          topicKey: 'extoleEvents',
          key: u.id,
          value: { ...base, kind: 'program_event', name: shared ? 'extole_shared' : 'extole_created_share_link', program: 'spring-referral', funnel: 'advocate', share_channel: shared ? this.pick(['email', 'sms', 'facebook']) : null, share_link: `https://refer.example.com/${u.id}` },
        };
      }
      if (k < 0.8) {
        return {
          topicKey: 'extoleEvents',
          key: u.id,
          value: { ...base, kind: 'subscription', name: this.random() < 0.8 ? 'subscribed' : 'unsubscribed', list_type: 'marketing', subscription_group_id: null },
        };
      }
      return {
        topicKey: 'extoleEvents',
        key: u.id,
        value: { ...base, kind: 'reward', name: this.pick(REWARD_STATES), face_value: 10, face_value_type: 'USD', coupon_code: `SAVE10-${seq}` },
      };
    }
    return {
      topicKey: 'komoSubmissions',
      key: u.email,
      value: {
        submission_id: `komo-${seq}`,
        hub_id: bad ? 'hub-not-configured' : this.hub,
        card_id: 'card-7',
        submitted_at: at,
        braze_id: null,
        external_id: null,
        email: u.email,
        phone: null,
        fields: { first_name: u.first, favourite_flavour: this.pick(FLAVOURS), quiz_score: Math.floor(this.random() * 10), marketing_notes: 'not mapped' },
      },
    };
  }
}
