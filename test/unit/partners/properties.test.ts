import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { FlowStep, MapResult, Op, OpAnswer } from '../../../src/core/ops.js';
import { defaultPartnerOptions, INPUT_TOPIC_KINDS, MAPPERS } from '../../../src/partners/index.js';
import { loadFixtureCases } from './load-fixtures.js';

const options = defaultPartnerOptions();
const cases = loadFixtureCases();

/** Scalars a producer might put anywhere, including the awkward ones. */
const scalar = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', 'x@example.com', '+15555550100', 'sms_acquisition', 'email_acquisition', 'program_event', 'reward', 'FULFILLED', '11111111-1111-4111-8111-111111111111'),
  fc.bigInt(), fc.date({ noInvalidDate: false }),
);
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), scalar, { maxKeys: 4 }));

function isResult(r: MapResult): boolean {
  return ['ops', 'flow', 'skip', 'invalid'].includes(r.type);
}

/** Walks a flow with answers of every shape, to its end or a bounded depth; a transition must never throw. */
function walk(step: FlowStep, answers: (ops: readonly Op[]) => OpAnswer[], depth = 0): void {
  if (step.type !== 'ops' || depth > 8) return;
  if (step.otherwise) walk(step.otherwise({ code: 'braze_rejected', detail: 'refused' }), answers, depth + 1);
  if (step.then) walk(step.then(answers(step.ops)), answers, depth + 1);
}

const answerFor = (op: Op, pick: number): OpAnswer => {
  switch (op.kind) {
    case 'identity.lookup':
      return pick % 3 === 0 ? { found: false } : { found: true, user: pick % 3 === 1 ? { external_id: 'c-1' } : { braze_id: 'b-1' }, profiles: 1 + (pick % 2) };
    case 'subscription.get':
      return { state: (['subscribed', 'unsubscribed', 'unknown'] as const)[pick % 3]! };
    case 'timer.wait':
      return { firedAtMs: 1_700_000_000_000 + pick * 60_000_000 };
    default:
      return undefined;
  }
};

describe('every mapper, on any input', () => {
  it.each(INPUT_TOPIC_KINDS.map((kind) => [kind]))('%s returns ops, a flow, a skip or invalid, and never throws', (kind) => {
    fc.assert(fc.property(fc.oneof(value, fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 8 })), (input) => isResult(MAPPERS[kind].map(input, options))), { numRuns: 300 });
  });

  it.each(INPUT_TOPIC_KINDS.map((kind) => [kind]))('%s survives any field of a valid record replaced by anything', (kind) => {
    const valid = cases.filter((c) => c.topic === kind && c.expected.type !== 'invalid').map((c) => c.input as Record<string, unknown>);
    expect(valid.length).toBeGreaterThan(0);
    fc.assert(fc.property(fc.constantFrom(...valid), fc.string({ maxLength: 24 }), value, (base, field, v) => {
      const keys = Object.keys(base);
      const name = keys.length > 0 && field.length % 2 === 0 ? keys[field.length % keys.length]! : field;
      return isResult(MAPPERS[kind].map({ ...base, [name]: v }, options));
    }), { numRuns: 300 });
  });
});

describe('every flow', () => {
  it('never throws in a transition, whatever Braze answers', () => {
    const flows = cases.map((c) => MAPPERS[c.topic].map(c.input, c.options)).filter((r): r is Extract<MapResult, { type: 'flow' }> => r.type === 'flow');
    expect(flows.length).toBeGreaterThan(0);
    fc.assert(fc.property(fc.constantFrom(...flows), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (r, picks) => {
      let i = 0;
      walk(r.flow.start, (list) => list.map((op) => answerFor(op, picks[i++ % picks.length]!)));
      return true;
    }), { numRuns: 300 });
  });
});
