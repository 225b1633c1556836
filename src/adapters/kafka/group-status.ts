import { AssignerProtocol, type Admin } from 'kafkajs';

export interface PartitionStatus {
  readonly partition: number;
  /** The group's committed offset (the next record it will read), or null when it has none. */
  readonly committed: string | null;
  readonly logStart: string;
  readonly logEnd: string;
  /**
   * Records not yet consumed by the group: log end − committed (as kafka-consumer-groups.sh --describe computes it).
   * Without a committed offset, log end − log start: every retained record (what startFrom: earliest would read).
   */
  readonly lag: number;
  /** The client id of the member the partition is assigned to right now, if any. */
  readonly assignedTo: string | null;
}

export interface TopicStatus {
  readonly topic: string;
  /** False when the topic does not exist; `partitions` is empty then. */
  readonly exists: boolean;
  readonly partitions: readonly PartitionStatus[];
  readonly lag: number;
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  readonly assignment: Readonly<Record<string, readonly number[]>>;
}

export interface GroupStatus {
  readonly groupId: string;
  /** The group coordinator's state: Stable, PreparingRebalance, Empty, Dead, … */
  readonly state: string;
  readonly members: readonly GroupMember[];
  readonly topics: readonly TopicStatus[];
  readonly totalLag: number;
  readonly deadLetters: { readonly topic: string; readonly exists: boolean; readonly count: number };
}

function decodeAssignment(raw: Buffer): Record<string, number[]> {
  if (raw.length === 0) return {};
  try {
    return (AssignerProtocol.MemberAssignment.decode(raw)?.assignment ?? {}) as Record<string, number[]>;
  } catch {
    return {};
  }
}

const span = (end: string, start: string) => Math.max(0, Number(BigInt(end) - BigInt(start)));

/** Committed offsets, log ends, lag and members of one consumer group on the given topics; the dead-letter count. */
export async function collectGroupStatus(
  admin: Pick<Admin, 'listTopics' | 'fetchOffsets' | 'fetchTopicOffsets' | 'describeGroups'>,
  options: { groupId: string; topics: readonly string[]; deadLetterTopic: string },
): Promise<GroupStatus> {
  const existing = new Set(await admin.listTopics());
  const present = options.topics.filter((t) => existing.has(t));
  const [{ groups }, committedByTopic] = await Promise.all([
    admin.describeGroups([options.groupId]),
    present.length > 0 ? admin.fetchOffsets({ groupId: options.groupId, topics: present }) : Promise.resolve([]),
  ]);
  const group = groups[0];
  const members: GroupMember[] = (group?.members ?? []).map((m) => ({
    memberId: m.memberId,
    clientId: m.clientId,
    host: m.clientHost,
    assignment: decodeAssignment(m.memberAssignment),
  }));
  const owner = new Map<string, string>();
  for (const m of members) for (const [topic, parts] of Object.entries(m.assignment)) for (const p of parts) owner.set(`${topic}:${p}`, m.clientId);

  const committed = new Map<string, string>();
  for (const t of committedByTopic) for (const p of t.partitions) committed.set(`${t.topic}:${p.partition}`, p.offset);

  const topics: TopicStatus[] = [];
  for (const topic of options.topics) {
    if (!existing.has(topic)) {
      topics.push({ topic, exists: false, partitions: [], lag: 0 });
      continue;
    }
    const offsets = [...(await admin.fetchTopicOffsets(topic))].sort((a, b) => a.partition - b.partition);
    const partitions = offsets.map((o): PartitionStatus => {
      const c = committed.get(`${topic}:${o.partition}`);
      const has = c !== undefined && c !== '-1' && c !== '';
      return {
        partition: o.partition,
        committed: has ? c : null,
        logStart: o.low,
        logEnd: o.high,
        lag: has ? span(o.high, c) : span(o.high, o.low),
        assignedTo: owner.get(`${topic}:${o.partition}`) ?? null,
      };
    });
    topics.push({ topic, exists: true, partitions, lag: partitions.reduce((s, p) => s + p.lag, 0) });
  }

  let deadLetters = { topic: options.deadLetterTopic, exists: false, count: 0 };
  if (existing.has(options.deadLetterTopic)) {
    const offsets = await admin.fetchTopicOffsets(options.deadLetterTopic);
    deadLetters = { topic: options.deadLetterTopic, exists: true, count: offsets.reduce((s, o) => s + span(o.high, o.low), 0) };
  }
  return {
    groupId: options.groupId,
    state: group?.state ?? 'Unknown',
    members,
    topics,
    totalLag: topics.reduce((s, t) => s + t.lag, 0),
    deadLetters,
  };
}
