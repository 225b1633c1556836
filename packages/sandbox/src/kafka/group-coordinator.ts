// The classic consumer-group coordinator: Empty -> PreparingRebalance -> CompletingRebalance ->
// Stable, with parked joins and syncs, session and rebalance timers, and committed offsets.
// See kafka-broker-surface.md section 4 for the rules followed here.
import { randomUUID } from 'node:crypto';
import type { GroupJson, OffsetsFile } from './data-dir.js';
import { ErrorCode } from './protocol.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface ProtocolOffer {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinRequest {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly memberId: string;
  readonly protocolType: string;
  readonly protocols: readonly ProtocolOffer[];
  readonly clientId: string;
  readonly clientHost: string;
  /**
   * JoinGroup v4+ (KIP-394): a join with an empty member id is answered MEMBER_ID_REQUIRED with a
   * new id, and only the rejoin with that id makes the client a member.
   */
  readonly requireKnownMemberId?: boolean;
}

export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolName: string;
  readonly leaderId: string;
  readonly memberId: string;
  readonly members: readonly { readonly memberId: string; readonly metadata: Buffer }[];
}

export interface SyncResult {
  readonly errorCode: number;
  readonly assignment: Buffer;
}

export interface CommittedOffset {
  readonly offset: bigint;
  readonly metadata: string | null;
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupState | 'Dead';
  readonly protocolType: string;
  readonly protocolName: string;
  readonly members: readonly {
    readonly memberId: string;
    readonly clientId: string;
    readonly clientHost: string;
    readonly metadata: Buffer;
    readonly assignment: Buffer;
  }[];
}

export interface CoordinatorOptions {
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly log: (line: string) => void;
  /** Called after committed offsets or the set of groups change (for persistence). */
  readonly onOffsetsChanged: () => void;
}

const EMPTY = Buffer.alloc(0);

interface Member {
  readonly memberId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: readonly ProtocolOffer[];
  assignment: Buffer;
  joinWaiter: ((r: JoinResult) => void) | null;
  syncWaiter: ((r: SyncResult) => void) | null;
  sessionTimer: NodeJS.Timeout | null;
}

class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType = '';
  protocolName = '';
  leaderId = '';
  readonly members = new Map<string, Member>();
  rebalanceTimer: NodeJS.Timeout | null = null;
  /** Member ids handed out with MEMBER_ID_REQUIRED, each expiring if its rejoin never comes. */
  readonly pending = new Map<string, NodeJS.Timeout>();
  /** topic -> partition -> committed offset */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();

  constructor(readonly groupId: string) {}
}

function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolName: '', leaderId: '', memberId, members: [] };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, assignment: EMPTY };
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private closed = false;

  constructor(private readonly options: CoordinatorOptions) {}

  /** After close() every request is answered COORDINATOR_NOT_AVAILABLE. */
  get isClosed(): boolean {
    return this.closed;
  }

  // ---- membership ---------------------------------------------------------------------------

  join(req: JoinRequest): JoinResult | Promise<JoinResult> {
    if (this.closed) return joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId);
    if (req.groupId === '') return joinError(ErrorCode.INVALID_GROUP_ID, req.memberId);
    if (req.sessionTimeoutMs < this.options.minSessionTimeoutMs || req.sessionTimeoutMs > this.options.maxSessionTimeoutMs) {
      return joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId);
    }
    const existing = this.groups.get(req.groupId);
    const pendingRejoin = req.memberId !== '' && existing?.pending.has(req.memberId) === true;
    if (req.memberId !== '' && !pendingRejoin && (existing === undefined || !existing.members.has(req.memberId))) {
      return joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
    }
    const group = existing ?? this.createGroup(req.groupId);
    if (req.protocols.length === 0 || req.protocolType === '') {
      return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
    }
    const others = [...group.members.values()].filter((m) => m.memberId !== req.memberId);
    if (others.length > 0) {
      const shared = commonProtocols([...others.map((m) => m.protocols), req.protocols]).length > 0;
      if (req.protocolType !== group.protocolType || !shared) {
        return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
      }
    }

    if (req.memberId === '' && req.requireKnownMemberId === true) {
      const memberId = `${req.clientId}-${randomUUID()}`;
      this.addPending(group, memberId, req.sessionTimeoutMs);
      return joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId);
    }

    let member = group.members.get(req.memberId);
    if (member === undefined) {
      if (pendingRejoin) this.removePending(group, req.memberId);
      member = {
        memberId: pendingRejoin ? req.memberId : `${req.clientId}-${randomUUID()}`,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocols: req.protocols,
        assignment: EMPTY,
        joinWaiter: null,
        syncWaiter: null,
        sessionTimer: null,
      };
      group.members.set(member.memberId, member);
      this.options.log(`kafka-sandbox: group ${group.groupId}: ${member.memberId} joins`);
    } else {
      member.clientId = req.clientId;
      member.clientHost = req.clientHost;
      member.sessionTimeoutMs = req.sessionTimeoutMs;
      member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
      member.protocols = req.protocols;
    }
    group.protocolType = req.protocolType;

    // A member that sends a second join while one is parked gets the older one cancelled.
    member.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    const joining = member;
    const result = new Promise<JoinResult>((resolve) => {
      joining.joinWaiter = resolve;
    });
    this.stopSession(member);
    this.prepareRebalance(group, `${member.memberId} joined`);
    this.maybeCompleteJoin(group);
    return result;
  }

  sync(groupId: string, generationId: number, memberId: string, assignments: ReadonlyMap<string, Buffer>): SyncResult | Promise<SyncResult> {
    if (this.closed) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION);
    switch (group.state) {
      case 'Stable':
        this.touchSession(group, member);
        return { errorCode: ErrorCode.NONE, assignment: member.assignment };
      case 'CompletingRebalance': {
        member.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const result = new Promise<SyncResult>((resolve) => {
          member.syncWaiter = resolve;
        });
        this.stopSession(member);
        if (memberId === group.leaderId) {
          for (const m of group.members.values()) {
            // Members the leader left out get zero-length bytes: a null assignment crashes kafkajs.
            const bytes = assignments.get(m.memberId);
            m.assignment = bytes === undefined ? EMPTY : Buffer.from(bytes);
          }
          group.state = 'Stable';
          this.options.log(`kafka-sandbox: group ${group.groupId}: generation ${group.generationId} stable with ${group.members.size} member(s)`);
          for (const m of group.members.values()) {
            const waiter = m.syncWaiter;
            m.syncWaiter = null;
            if (waiter !== null) {
              this.startSession(group, m);
              waiter({ errorCode: ErrorCode.NONE, assignment: m.assignment });
            }
          }
        }
        return result;
      }
      default:
        return syncError(ErrorCode.REBALANCE_IN_PROGRESS);
    }
  }

  heartbeat(groupId: string, generationId: number, memberId: string): number {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touchSession(group, member);
    // The only way a running kafkajs member learns that it has to rejoin.
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leave(groupId: string, memberId: string): number {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const group = this.groups.get(groupId);
    if (group !== undefined && group.pending.has(memberId)) {
      this.removePending(group, memberId);
      this.options.log(`kafka-sandbox: group ${group.groupId}: pending ${memberId} left the group`);
      this.maybeCompleteJoin(group);
      return ErrorCode.NONE;
    }
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member, 'left the group');
    return ErrorCode.NONE;
  }

  // ---- offsets ------------------------------------------------------------------------------

  /** Checks whether a commit is allowed; returns the error code for every partition of it. */
  commit(
    groupId: string,
    generationId: number,
    memberId: string,
    offsets: readonly { topic: string; partition: number; offset: bigint; metadata: string | null }[],
  ): number {
    if (this.closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    let group = this.groups.get(groupId);
    if (group === undefined) {
      if (generationId >= 0) return ErrorCode.UNKNOWN_MEMBER_ID;
      group = this.createGroup(groupId);
    } else if (!(generationId < 0 && group.state === 'Empty')) {
      const member = group.members.get(memberId);
      if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
      this.touchSession(group, member);
    }
    for (const o of offsets) {
      let byPartition = group.offsets.get(o.topic);
      if (byPartition === undefined) {
        byPartition = new Map();
        group.offsets.set(o.topic, byPartition);
      }
      // Any int64 is stored as given: kafkajs commits -1 and -2 to mean "resolve again".
      byPartition.set(o.partition, { offset: o.offset, metadata: o.metadata });
    }
    this.options.onOffsetsChanged();
    return ErrorCode.NONE;
  }

  committedOffset(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.offsets.get(topic)?.get(partition);
  }

  /** Every committed partition of the group, for OffsetFetch with a null topic list. */
  committedTopics(groupId: string): Map<string, Map<number, CommittedOffset>> {
    return this.groups.get(groupId)?.offsets ?? new Map();
  }

  // ---- admin --------------------------------------------------------------------------------

  describe(groupId: string): GroupDescription {
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return { groupId, state: 'Dead', protocolType: '', protocolName: '', members: [] };
    }
    const settled = group.state === 'Stable' || group.state === 'CompletingRebalance';
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType,
      protocolName: settled ? group.protocolName : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: settled ? (m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY) : EMPTY,
        assignment: group.state === 'Stable' ? m.assignment : EMPTY,
      })),
    };
  }

  list(): { groupId: string; protocolType: string }[] {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }));
  }

  delete(groupId: string): number {
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
    for (const timer of group.pending.values()) clearTimeout(timer);
    group.pending.clear();
    this.groups.delete(groupId);
    this.options.onOffsetsChanged();
    return ErrorCode.NONE;
  }

  // ---- persistence --------------------------------------------------------------------------

  load(file: OffsetsFile): void {
    for (const [groupId, saved] of Object.entries(file.groups)) {
      const group = this.createGroup(groupId);
      group.protocolType = saved.protocolType;
      for (const [topic, partitions] of Object.entries(saved.offsets)) {
        const byPartition = new Map<number, CommittedOffset>();
        for (const [partition, c] of Object.entries(partitions)) {
          byPartition.set(Number(partition), { offset: BigInt(c.offset), metadata: c.metadata });
        }
        group.offsets.set(topic, byPartition);
      }
    }
  }

  snapshot(): OffsetsFile {
    const groups: Record<string, GroupJson> = {};
    for (const g of this.groups.values()) {
      const offsets: Record<string, Record<string, { offset: string; metadata: string | null }>> = {};
      for (const [topic, byPartition] of g.offsets) {
        const partitions: Record<string, { offset: string; metadata: string | null }> = {};
        for (const [partition, c] of byPartition) partitions[String(partition)] = { offset: c.offset.toString(), metadata: c.metadata };
        offsets[topic] = partitions;
      }
      groups[g.groupId] = { protocolType: g.protocolType, offsets };
    }
    return { version: 1, groups };
  }

  /** Stops all timers and fails parked joins and syncs so their connections can be answered. */
  close(): void {
    this.closed = true;
    for (const group of this.groups.values()) {
      if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
      group.rebalanceTimer = null;
      for (const timer of group.pending.values()) clearTimeout(timer);
      group.pending.clear();
      for (const m of group.members.values()) {
        this.stopSession(m);
        const join = m.joinWaiter;
        const sync = m.syncWaiter;
        m.joinWaiter = null;
        m.syncWaiter = null;
        join?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
        sync?.(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
    }
  }

  // ---- state machine ------------------------------------------------------------------------

  private createGroup(groupId: string): Group {
    const group = new Group(groupId);
    this.groups.set(groupId, group);
    return group;
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'PreparingRebalance') return;
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        const waiter = m.syncWaiter;
        m.syncWaiter = null;
        if (waiter !== null) {
          this.startSession(group, m);
          waiter(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        }
      }
    }
    group.state = 'PreparingRebalance';
    this.options.log(`kafka-sandbox: group ${group.groupId}: rebalancing (${reason})`);
    let timeoutMs = 0;
    for (const m of group.members.values()) timeoutMs = Math.max(timeoutMs, m.rebalanceTimeoutMs);
    group.rebalanceTimer = setTimeout(() => this.safely('rebalance timeout', () => this.onRebalanceTimeout(group)), timeoutMs);
    group.rebalanceTimer.unref();
  }

  /**
   * A pending member is expected to rejoin at once; like Kafka, the rebalance waits for it (or for
   * its expiry, or the rebalance timeout), so that members starting together share a generation.
   */
  private addPending(group: Group, memberId: string, sessionTimeoutMs: number): void {
    const timer = setTimeout(() => this.safely('pending member expiry', () => {
      if (group.pending.get(memberId) !== timer) return;
      group.pending.delete(memberId);
      this.options.log(`kafka-sandbox: group ${group.groupId}: pending ${memberId} did not rejoin within ${sessionTimeoutMs} ms`);
      this.maybeCompleteJoin(group);
    }), sessionTimeoutMs);
    timer.unref();
    group.pending.set(memberId, timer);
    this.options.log(`kafka-sandbox: group ${group.groupId}: ${memberId} must rejoin with its new member id`);
  }

  private removePending(group: Group, memberId: string): void {
    const timer = group.pending.get(memberId);
    if (timer !== undefined) clearTimeout(timer);
    group.pending.delete(memberId);
  }

  private maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    if (group.pending.size > 0) return;
    for (const m of group.members.values()) if (m.joinWaiter === null) return;
    this.completeJoin(group);
  }

  private onRebalanceTimeout(group: Group): void {
    group.rebalanceTimer = null;
    if (group.state !== 'PreparingRebalance') return;
    for (const m of [...group.members.values()]) {
      if (m.joinWaiter === null) {
        this.options.log(`kafka-sandbox: group ${group.groupId}: ${m.memberId} did not rejoin in time`);
        this.stopSession(m);
        group.members.delete(m.memberId);
      }
    }
    this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = null;
    group.generationId++;
    if (group.members.size === 0) {
      this.becomeEmpty(group);
      return;
    }
    const members = [...group.members.values()];
    group.protocolName = chooseProtocol(members.map((m) => m.protocols));
    if (!group.members.has(group.leaderId)) group.leaderId = members[0].memberId;
    group.state = 'CompletingRebalance';
    this.options.log(`kafka-sandbox: group ${group.groupId}: generation ${group.generationId}, leader ${group.leaderId}`);
    const memberList = members.map((m) => ({
      memberId: m.memberId,
      metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY,
    }));
    for (const m of members) {
      m.assignment = EMPTY;
      const waiter = m.joinWaiter;
      m.joinWaiter = null;
      this.startSession(group, m);
      waiter?.({
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolName: group.protocolName,
        leaderId: group.leaderId,
        memberId: m.memberId,
        // Only the leader computes the assignment, so only the leader gets the member list.
        members: m.memberId === group.leaderId ? memberList : [],
      });
    }
  }

  private becomeEmpty(group: Group): void {
    if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = null;
    group.state = 'Empty';
    group.protocolName = '';
    group.leaderId = '';
    this.options.log(`kafka-sandbox: group ${group.groupId}: empty`);
  }

  private removeMember(group: Group, member: Member, reason: string): void {
    this.stopSession(member);
    group.members.delete(member.memberId);
    this.options.log(`kafka-sandbox: group ${group.groupId}: ${member.memberId} ${reason}`);
    const join = member.joinWaiter;
    const sync = member.syncWaiter;
    member.joinWaiter = null;
    member.syncWaiter = null;
    join?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    sync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.members.size === 0) {
      if (group.state !== 'Empty') group.generationId++;
      this.becomeEmpty(group);
      return;
    }
    if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group);
    else this.prepareRebalance(group, `${member.memberId} ${reason}`);
  }

  /** Timer callbacks have no caller to report to: log a failure instead of ending the process. */
  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.log(`kafka-sandbox: ${what} failed: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  private startSession(group: Group, member: Member): void {
    this.stopSession(member);
    member.sessionTimer = setTimeout(() => this.safely('session expiry', () => {
      member.sessionTimer = null;
      if (group.members.get(member.memberId) === member && !this.closed) {
        this.removeMember(group, member, `session expired after ${member.sessionTimeoutMs} ms`);
      }
    }), member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  /** Every heartbeat, sync or commit pushes the session deadline back. */
  private touchSession(group: Group, member: Member): void {
    // A member with a parked join or sync is not on the clock; the rebalance timer governs it.
    if (member.joinWaiter !== null || member.syncWaiter !== null) return;
    if (member.sessionTimer !== null) member.sessionTimer.refresh();
    else this.startSession(group, member);
  }

  private stopSession(member: Member): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
  }
}

function commonProtocols(offers: readonly (readonly ProtocolOffer[])[]): string[] {
  if (offers.length === 0) return [];
  return offers[0].map((p) => p.name).filter((name) => offers.every((o) => o.some((p) => p.name === name)));
}

/** Kafka's rule: each member votes for its first preference among the protocols all support. */
function chooseProtocol(offers: readonly (readonly ProtocolOffer[])[]): string {
  const candidates = commonProtocols(offers);
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
  for (const o of offers) {
    const pick = o.find((p) => votes.has(p.name));
    if (pick !== undefined) votes.set(pick.name, votes.get(pick.name)! + 1);
  }
  let best = candidates[0] ?? '';
  for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
  return best;
}
