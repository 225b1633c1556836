import { parseCommand, type FlagSpec } from './args.js';
import { loadConfig, type TributaryConfig } from '../config/index.js';
import { consumedTopics } from '../app/tributary-app.js';
import { createKafka } from '../adapters/kafka/kafka-client.js';
import { collectGroupStatus, type GroupStatus } from '../adapters/kafka/group-status.js';
import { connectAdmin } from '../adapters/kafka/topic-check.js';

const FLAGS: FlagSpec = {
  group: { type: 'string', help: 'consumer group (default: kafka.groupId of the configuration)' },
  config: { type: 'string', help: 'configuration file (JSON or YAML); without it every default applies' },
  json: { type: 'boolean', help: 'print one JSON document instead of the table' },
  help: { type: 'boolean', help: 'show this help' },
};

const USAGE = 'tributary status [--group G] [--config FILE] [--json]';

/** The status of the group on the topics `run` consumes with this configuration. */
export async function readStatus(config: TributaryConfig, groupId: string = config.kafka.groupId): Promise<GroupStatus> {
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-status`,
    connectionTimeoutMs: config.kafka.connectionTimeoutMs,
    requestTimeoutMs: config.kafka.requestTimeoutMs,
    ssl: config.kafka.ssl,
    sasl: config.kafka.sasl,
  });
  const admin = kafka.admin();
  await connectAdmin(admin, config.kafka.brokers);
  try {
    return await collectGroupStatus(admin, { groupId, topics: [...consumedTopics(config).keys()], deadLetterTopic: config.topics.deadLetter });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function table(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}

export function formatStatus(s: GroupStatus): string {
  const lines = [`group ${s.groupId} (${s.state}), ${s.members.length} member${s.members.length === 1 ? '' : 's'}, total lag ${s.totalLag}`, ''];
  const rows: string[][] = [['TOPIC', 'PARTITION', 'COMMITTED', 'LOG-START', 'LOG-END', 'LAG', 'CLIENT-ID']];
  let uncommitted = false;
  for (const t of s.topics) {
    if (!t.exists) {
      rows.push([t.topic, '-', '-', '-', '-', '-', 'topic missing']);
      continue;
    }
    for (const p of t.partitions) {
      if (p.committed === null) uncommitted = true;
      rows.push([t.topic, String(p.partition), p.committed === null ? '-' : p.committed, p.logStart, p.logEnd, `${p.lag}${p.committed === null ? '*' : ''}`, p.assignedTo ?? '-']);
    }
  }
  lines.push(...table(rows, new Set([1, 2, 3, 4, 5])));
  if (uncommitted) lines.push('', '* no committed offset: lag = log end − log start (every retained record)');
  lines.push('');
  if (s.members.length === 0) lines.push('members: none (no instance of tributary is consuming with this group)');
  else {
    const memberRows: string[][] = [['CLIENT-ID', 'HOST', 'ASSIGNED']];
    for (const m of s.members) {
      const assigned = Object.entries(m.assignment).filter(([, ps]) => ps.length > 0).map(([t, ps]) => `${t}[${[...ps].sort((a, b) => a - b).join(',')}]`).join(' ');
      memberRows.push([m.clientId, m.host, assigned || '-']);
    }
    lines.push('members:', ...table(memberRows, new Set()).map((l) => `  ${l}`));
  }
  lines.push('', s.deadLetters.exists
    ? `dead letters: ${s.deadLetters.count} record${s.deadLetters.count === 1 ? '' : 's'} retained in ${s.deadLetters.topic}`
    : `dead letters: topic ${s.deadLetters.topic} is missing`);
  return lines.join('\n');
}

/** `tributary status`: the consumer group's committed offsets, lag and members, and the dead-letter count. */
export async function statusCommand(argv: string[]): Promise<number> {
  const { flags, helped } = parseCommand(argv, FLAGS, USAGE, {
    epilog: 'Lag is log end − committed offset, per partition, as kafka-consumer-groups.sh --describe shows it. The brokers come from KAFKA_BROKERS or kafka.brokers.',
  });
  if (helped) return 0;
  const file = flags.config as string | undefined;
  const config = await loadConfig({ ...(file ? { file } : {}), requireBraze: false });
  const status = await readStatus(config, (flags.group as string | undefined) ?? config.kafka.groupId);
  process.stdout.write((flags.json ? JSON.stringify(status, null, 2) : formatStatus(status)) + '\n');
  return 0;
}
