import { describe, expect, it } from 'vitest';
import type { ExtoleOptions } from '../../../../src/partners/options.js';
import type { Flow, FlowStep, MapResult, OpAnswer } from '../../../../src/core/ops.js';
import { EXTOLE_LOOKUP_FLOW, mapExtoleEvent } from '../../../../src/partners/extole/mappers.js';

const options: ExtoleOptions = { externalIdFrom: 'partner_user_id', withoutExternalId: 'lookup', rewardStates: ['FULFILLED'] };
const reward = { event_id: 'r1', kind: 'reward', name: 'FULFILLED', occurred_at: 1714557600000, email: 'Jane@Example.com', first_name: 'Jane', face_value: 10, coupon_code: 'C-1' };

function flowOf(result: MapResult): Flow {
  if (result.type !== 'flow') throw new Error(`expected a flow, got ${result.type}`);
  return result.flow;
}

function next(step: FlowStep, answers: readonly OpAnswer[]): FlowStep {
  if (step.type !== 'ops' || !step.then) throw new Error('the step has no transition');
  return step.then(answers);
}

describe('the Extole look-up flow (participants without partner_user_id)', () => {
  it('starts with a look-up of the normalised email, under that email\'s key', () => {
    const flow = flowOf(mapExtoleEvent(reward, options));
    expect(flow.name).toBe(EXTOLE_LOOKUP_FLOW);
    expect(flow.key).toBe('email:jane@example.com');
    expect(flow.start).toMatchObject({ type: 'ops', ops: [{ kind: 'identity.lookup', email: 'jane@example.com' }] });
  });

  it('updates the profile found, with every attribute and the event, and creates nothing', () => {
    const flow = flowOf(mapExtoleEvent(reward, options));
    const step = next(flow.start, [{ found: true, user: { external_id: 'crm-1' }, profiles: 1 }]);
    expect(step).toEqual({
      type: 'ops',
      ops: [
        { kind: 'track.attributes', user: { external_id: 'crm-1' }, attributes: { email: 'jane@example.com', first_name: 'Jane' } },
        { kind: 'track.event', user: { external_id: 'crm-1' }, name: 'extole_reward_fulfilled', time: '2024-05-01T10:00:00.000Z', properties: { email: 'jane@example.com', face_value: 10, coupon_code: 'C-1' } },
      ],
    });
  });

  it('addresses a found profile without external id by what the resolver chose', () => {
    const flow = flowOf(mapExtoleEvent(reward, options));
    const step = next(flow.start, [{ found: true, user: { braze_id: 'b-1' }, profiles: 2 }]);
    expect(step.type === 'ops' && step.ops.map((op) => ('user' in op ? op.user : null))).toEqual([{ braze_id: 'b-1' }, { braze_id: 'b-1' }]);
  });

  it('creates an alias-only profile (alias = the email, label email) when no profile has the email, and remembers it', () => {
    const flow = flowOf(mapExtoleEvent(reward, options));
    const alias = { user_alias: { alias_name: 'jane@example.com', alias_label: 'email' } };
    const step = next(flow.start, [{ found: false }]);
    expect(step).toEqual({
      type: 'ops',
      ops: [
        { kind: 'track.attributes', user: alias, attributes: { email: 'jane@example.com', first_name: 'Jane' }, updateExistingOnly: false },
        { kind: 'track.event', user: alias, name: 'extole_reward_fulfilled', time: '2024-05-01T10:00:00.000Z', properties: { email: 'jane@example.com', face_value: 10, coupon_code: 'C-1' } },
      ],
      establishes: { email: 'jane@example.com', user: alias },
    });
  });

  it('creates the alias-only profile even when the record carries no profile attribute but the email', () => {
    const flow = flowOf(mapExtoleEvent({ event_id: 'p1', kind: 'program_event', name: 'extole_shipped', occurred_at: 1714557600000, email: 'a@b.co', properties: {} }, options));
    const step = next(flow.start, [{ found: false }]);
    expect(step.type === 'ops' && step.ops[0]).toEqual({ kind: 'track.attributes', user: { user_alias: { alias_name: 'a@b.co', alias_label: 'email' } }, attributes: { email: 'a@b.co' }, updateExistingOnly: false });
  });

  it('treats a missing answer (a look-up that produced none) as not found rather than failing', () => {
    const flow = flowOf(mapExtoleEvent(reward, options));
    expect(next(flow.start, []).type).toBe('ops');
  });

  it('keeps the direct path, with no look-up, when partner_user_id is present', () => {
    expect(mapExtoleEvent({ ...reward, partner_user_id: 'c-9' }, options).type).toBe('ops');
  });

  it('dead-letters bad data before any look-up is spent on it', () => {
    expect(mapExtoleEvent({ ...reward, kind: 'program_event', name: '' }, options)).toMatchObject({ type: 'invalid' });
  });
});
