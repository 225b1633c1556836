import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCoordinator, type JoinRequest, type JoinResult, type SyncResult } from '../../../src/kafka/group-coordinator.js';
import { ErrorCode } from '../../../src/kafka/protocol.js';

const SESSION_MS = 1000;
const REBALANCE_MS = 3000;

function joinRequest(groupId: string, memberId = '', overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId, memberId,
    sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer', protocols: [{ name: 'roundrobin', metadata: Buffer.from('meta') }],
    clientId: 'c', clientHost: '/127.0.0.1',
    ...overrides,
  };
}

/** Settles a join or sync that may be parked; fails if it is still parked. */
async function settled<T>(result: T | Promise<T>): Promise<T> {
  let value: T | undefined;
  void Promise.resolve(result).then((v) => { value = v; });
  await vi.advanceTimersByTimeAsync(0);
  if (value === undefined) throw new Error('still parked');
  return value;
}

async function isParked<T>(result: T | Promise<T>): Promise<boolean> {
  let done = false;
  void Promise.resolve(result).then(() => { done = true; });
  await vi.advanceTimersByTimeAsync(0);
  return !done;
}

describe('kafka group coordinator', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    vi.useFakeTimers();
    coordinator = new GroupCoordinator({ minSessionTimeoutMs: 100, maxSessionTimeoutMs: 300_000, log: () => {}, onOffsetsChanged: () => {} });
  });

  afterEach(() => {
    coordinator.close();
    vi.useRealTimers();
  });

  async function formGroup(groupId: string, members: number, overrides: Partial<JoinRequest> = {}): Promise<JoinResult[]> {
    // The first member completes alone; every later join rebalances and waits for the others.
    let results = [await settled(coordinator.join(joinRequest(groupId, '', overrides)))];
    for (let i = 1; i < members; i++) {
      const newcomer = coordinator.join(joinRequest(groupId, '', overrides));
      const joins = [...results.map((r) => coordinator.join(joinRequest(groupId, r.memberId, overrides))), newcomer];
      results = await Promise.all(joins.map((j) => settled(j)));
    }
    const leader = results.find((r) => r.memberId === r.leaderId)!;
    const assignments = new Map(results.map((r) => [r.memberId, Buffer.from(`for-${r.memberId}`)] as const));
    const syncs = results.map((r) => coordinator.sync(groupId, r.generationId, r.memberId, r.memberId === leader.memberId ? assignments : new Map()));
    await Promise.all(syncs.map((s) => settled(s)));
    return results;
  }

  it('completes a lone member\'s join at once and makes it the leader', async () => {
    const r = await settled(coordinator.join(joinRequest('g')));
    expect(r).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'roundrobin' });
    expect(r.leaderId).toBe(r.memberId);
    expect(r.members).toEqual([{ memberId: r.memberId, metadata: Buffer.from('meta') }]);
    expect(coordinator.describe('g').state).toBe('CompletingRebalance');
  });

  it('parks a new member\'s join until the existing members rejoin, then only the leader gets the list', async () => {
    const a = await settled(coordinator.join(joinRequest('g')));
    const bJoin = coordinator.join(joinRequest('g'));
    expect(await isParked(bJoin)).toBe(true);
    expect(coordinator.heartbeat('g', a.generationId, a.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const aAgain = await settled(coordinator.join(joinRequest('g', a.memberId)));
    const b = await settled(bJoin);
    expect(aAgain.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(aAgain.leaderId).toBe(a.memberId); // the leader stays while present
    expect(aAgain.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(b.members).toEqual([]);
  });

  it('parks followers\' syncs until the leader assigns, giving left-out members empty bytes', async () => {
    const a = await settled(coordinator.join(joinRequest('g')));
    const bJoin = coordinator.join(joinRequest('g'));
    const aj = await settled(coordinator.join(joinRequest('g', a.memberId)));
    const bj = await settled(bJoin);
    const follower = coordinator.sync('g', bj.generationId, bj.memberId, new Map());
    expect(await isParked(follower)).toBe(true);
    const leader = await settled(coordinator.sync('g', aj.generationId, aj.memberId, new Map([[aj.memberId, Buffer.from('all')]])));
    expect(leader).toEqual<SyncResult>({ errorCode: 0, assignment: Buffer.from('all') });
    const got = await settled(follower);
    expect(got.errorCode).toBe(0);
    expect(got.assignment).toEqual(Buffer.alloc(0));
    expect(coordinator.describe('g').state).toBe('Stable');
  });

  it('rejects unknown members, stale generations and bad session timeouts', async () => {
    const [a] = await formGroup('g', 1);
    expect(await settled(coordinator.join(joinRequest('g', 'nobody')))).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    expect(await settled(coordinator.join(joinRequest('g', '', { sessionTimeoutMs: 10 })))).toMatchObject({ errorCode: ErrorCode.INVALID_SESSION_TIMEOUT });
    expect(coordinator.heartbeat('g', a.generationId, 'nobody')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.heartbeat('other', 1, a.memberId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.heartbeat('g', a.generationId + 1, a.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coordinator.heartbeat('g', a.generationId, a.memberId)).toBe(ErrorCode.NONE);
    expect(await settled(coordinator.sync('g', a.generationId - 1, a.memberId, new Map()))).toMatchObject({ errorCode: ErrorCode.ILLEGAL_GENERATION });
    expect(coordinator.leave('g', 'nobody')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('refuses a member whose protocols share nothing with the group', async () => {
    await formGroup('g', 1);
    const r = await settled(coordinator.join(joinRequest('g', '', { protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] })));
    expect(r.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('rebalances when a member leaves and empties the group when the last one goes', async () => {
    const [a, b] = await formGroup('g', 2);
    expect(coordinator.leave('g', b.memberId)).toBe(ErrorCode.NONE);
    expect(coordinator.describe('g').state).toBe('PreparingRebalance');
    expect(coordinator.heartbeat('g', a.generationId, a.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const again = await settled(coordinator.join(joinRequest('g', a.memberId)));
    expect(again.generationId).toBe(a.generationId + 1);
    expect(coordinator.leave('g', a.memberId)).toBe(ErrorCode.NONE);
    expect(coordinator.describe('g')).toMatchObject({ state: 'Empty', members: [] });
  });

  it('expires a silent member after its session timeout and rebalances the rest', async () => {
    const [a, b] = await formGroup('g', 2);
    for (let t = 0; t < SESSION_MS * 3; t += SESSION_MS / 4) {
      coordinator.heartbeat('g', a.generationId, a.memberId); // only a keeps its session alive
      await vi.advanceTimersByTimeAsync(SESSION_MS / 4);
    }
    const d = coordinator.describe('g');
    expect(d.members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect(d.state).toBe('PreparingRebalance');
    expect(coordinator.heartbeat('g', b.generationId, b.memberId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('evicts members that do not rejoin within the rebalance timeout', async () => {
    // Sessions outlast the rebalance timeout here, so only the rebalance timer can evict.
    const long = { sessionTimeoutMs: REBALANCE_MS * 10 };
    const [a, b] = await formGroup('g', 2, long);
    const newcomer = coordinator.join(joinRequest('g', '', long));
    const aAgain = coordinator.join(joinRequest('g', a.memberId, long));
    await vi.advanceTimersByTimeAsync(REBALANCE_MS - 10);
    // b keeps heartbeating, but heartbeats alone do not count as rejoining.
    expect(coordinator.heartbeat('g', b.generationId, b.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await isParked(newcomer)).toBe(true);
    await vi.advanceTimersByTimeAsync(20);
    const [n, r] = await Promise.all([settled(newcomer), settled(aAgain)]);
    expect(n.errorCode).toBe(0);
    expect(r.errorCode).toBe(0);
    expect(coordinator.describe('g').members.map((m) => m.memberId).sort()).toEqual([a.memberId, n.memberId].sort());
    expect(coordinator.heartbeat('g', n.generationId, b.memberId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  describe('member ids required first (JoinGroup v4+)', () => {
    const v4 = { requireKnownMemberId: true } as const;

    it('answers a join without a member id with MEMBER_ID_REQUIRED and a new id, and accepts the rejoin with it', async () => {
      const first = await settled(coordinator.join(joinRequest('g', '', v4)));
      expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, members: [] });
      expect(first.memberId).toMatch(/^c-[0-9a-f-]{36}$/);
      // Still no member and no rebalance: the id is only pending.
      expect(coordinator.describe('g')).toMatchObject({ state: 'Empty', members: [] });
      const joined = await settled(coordinator.join(joinRequest('g', first.memberId, v4)));
      expect(joined).toMatchObject({ errorCode: 0, generationId: 1, memberId: first.memberId, leaderId: first.memberId });
      // The id is a member now, not pending: a second rejoin is an ordinary rejoin.
      expect(coordinator.describe('g').members.map((m) => m.memberId)).toEqual([first.memberId]);
      expect(await settled(coordinator.join(joinRequest('g', 'made-up', v4)))).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    });

    it('expires a pending id that is not used within the session timeout', async () => {
      const first = await settled(coordinator.join(joinRequest('g', '', v4)));
      await vi.advanceTimersByTimeAsync(SESSION_MS - 1);
      const early = await settled(coordinator.join(joinRequest('g2', '', v4)));
      await vi.advanceTimersByTimeAsync(1);
      expect(await settled(coordinator.join(joinRequest('g', first.memberId, v4)))).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
      // g2's id was handed out later and is still good.
      expect(await settled(coordinator.join(joinRequest('g2', early.memberId, v4)))).toMatchObject({ errorCode: 0, memberId: early.memberId });
    });

    it('holds a rebalance for a pending member until it rejoins, so both share a generation', async () => {
      const [a] = await formGroup('g', 1);
      const pending = await settled(coordinator.join(joinRequest('g', '', v4)));
      expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
      expect(coordinator.describe('g').state).toBe('Stable');
      const aAgain = coordinator.join(joinRequest('g', a.memberId, v4));
      expect(await isParked(aAgain)).toBe(true); // waits for the pending member
      const b = await settled(coordinator.join(joinRequest('g', pending.memberId, v4)));
      const aDone = await settled(aAgain);
      expect(aDone.generationId).toBe(a.generationId + 1);
      expect(b.generationId).toBe(aDone.generationId);
      expect(aDone.members.map((m) => m.memberId).sort()).toEqual([a.memberId, pending.memberId].sort());
    });

    it('stops waiting for a pending member that expires or leaves', async () => {
      const [a] = await formGroup('g', 1, { sessionTimeoutMs: 5000 });
      await settled(coordinator.join(joinRequest('g', '', { ...v4, sessionTimeoutMs: 500 })));
      const aAgain = coordinator.join(joinRequest('g', a.memberId, { ...v4, sessionTimeoutMs: 5000 }));
      expect(await isParked(aAgain)).toBe(true);
      await vi.advanceTimersByTimeAsync(500);
      expect(await settled(aAgain)).toMatchObject({ errorCode: 0, generationId: a.generationId + 1, members: [expect.objectContaining({ memberId: a.memberId })] });

      const left = await settled(coordinator.join(joinRequest('h', '', v4)));
      expect(coordinator.leave('h', left.memberId)).toBe(ErrorCode.NONE);
      expect(await settled(coordinator.join(joinRequest('h', left.memberId, v4)))).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    });

    it('still refuses bad session timeouts and protocols before handing out an id', async () => {
      expect(await settled(coordinator.join(joinRequest('g', '', { ...v4, sessionTimeoutMs: 10 })))).toMatchObject({ errorCode: ErrorCode.INVALID_SESSION_TIMEOUT, memberId: '' });
      await formGroup('g', 1);
      const r = await settled(coordinator.join(joinRequest('g', '', { ...v4, protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] })));
      expect(r).toMatchObject({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId: '' });
    });
  });

  it('answers a sync with REBALANCE_IN_PROGRESS when a join interrupts the completing rebalance', async () => {
    const a = await settled(coordinator.join(joinRequest('g')));
    const bJoin = coordinator.join(joinRequest('g'));
    await settled(coordinator.join(joinRequest('g', a.memberId)));
    const b = await settled(bJoin);
    const parkedSync = coordinator.sync('g', b.generationId, b.memberId, new Map());
    const cJoin = coordinator.join(joinRequest('g'));
    expect(await settled(parkedSync)).toMatchObject({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    expect(await isParked(cJoin)).toBe(true);
  });

  it('applies the commit rules of each group state', async () => {
    const offsets = [{ topic: 't', partition: 0, offset: 5n, metadata: null }];
    // A plain commit (generation -1) creates an Empty group holding offsets.
    expect(coordinator.commit('plain', -1, '', offsets)).toBe(ErrorCode.NONE);
    expect(coordinator.describe('plain').state).toBe('Empty');
    expect(coordinator.commit('missing', 3, 'someone', offsets)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);

    const a = await settled(coordinator.join(joinRequest('g')));
    // CompletingRebalance: members must wait for their assignment.
    expect(coordinator.commit('g', a.generationId, a.memberId, offsets)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await settled(coordinator.sync('g', a.generationId, a.memberId, new Map()));
    expect(coordinator.commit('g', a.generationId, a.memberId, offsets)).toBe(ErrorCode.NONE);
    expect(coordinator.commit('g', a.generationId + 1, a.memberId, offsets)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(coordinator.commit('g', a.generationId, 'nobody', offsets)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(coordinator.commit('g', -1, '', offsets)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // PreparingRebalance still accepts commits from the current generation.
    const parked = coordinator.join(joinRequest('g'));
    expect(coordinator.commit('g', a.generationId, a.memberId, [{ topic: 't', partition: 1, offset: -2n, metadata: 'm' }])).toBe(ErrorCode.NONE);
    expect(coordinator.committedOffset('g', 't', 1)).toEqual({ offset: -2n, metadata: 'm' });
    void parked;
  });

  it('deletes only empty groups, and their offsets with them', async () => {
    const [a] = await formGroup('g', 1);
    coordinator.commit('g', a.generationId, a.memberId, [{ topic: 't', partition: 0, offset: 9n, metadata: null }]);
    expect(coordinator.delete('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    coordinator.leave('g', a.memberId);
    expect(coordinator.delete('g')).toBe(ErrorCode.NONE);
    expect(coordinator.delete('g')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(coordinator.committedOffset('g', 't', 0)).toBeUndefined();
    expect(coordinator.describe('g').state).toBe('Dead');
  });

  it('snapshots and reloads committed offsets', () => {
    coordinator.commit('g', -1, '', [{ topic: 't', partition: 2, offset: 2n ** 62n, metadata: 'x' }]);
    const copy = new GroupCoordinator({ minSessionTimeoutMs: 100, maxSessionTimeoutMs: 300_000, log: () => {}, onOffsetsChanged: () => {} });
    copy.load(JSON.parse(JSON.stringify(coordinator.snapshot())));
    expect(copy.committedOffset('g', 't', 2)).toEqual({ offset: 2n ** 62n, metadata: 'x' });
    expect(copy.list()).toEqual([{ groupId: 'g', protocolType: '' }]);
  });

  it('fails parked joins and syncs when it closes', async () => {
    const a = await settled(coordinator.join(joinRequest('g')));
    const parked = coordinator.join(joinRequest('g'));
    coordinator.close();
    expect(await settled(parked)).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
    expect(coordinator.heartbeat('g', a.generationId, a.memberId)).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});
