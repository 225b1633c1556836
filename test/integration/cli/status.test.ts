import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { DemoStack } from '../../../src/cli/demo-stack.js';
import type { SampleRecord } from '../../../src/app/sample-records.js';
import { readStatus } from '../../../src/cli/status.js';
import type { GroupStatus } from '../../../src/adapters/kafka/group-status.js';
import { removeExternalResources, settled, startE2E, waitFor } from '../../helpers/e2e.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const T0 = Date.parse('2026-05-01T10:00:00Z');
let stack: DemoStack | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await stack?.close();
  stack = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  await removeExternalResources();
});

function statusCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=tributary-source', '--import', 'tsx', join(ROOT, 'src/main.ts'), 'status', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('tributary status', () => {
  it('reports the group\'s committed offsets, lag, members and the dead-letter count after a pipeline run', async () => {
    stack = await startE2E({ partitions: 2 });
    const s = stack;
    const { topics, kafka } = s.config;
    const records: SampleRecord[] = Array.from({ length: 20 }, (_, n) => ({
      topicKey: 'actioniqEvents',
      key: `user-${n % 5}`,
      value: { name: 'numbered', external_id: `user-${n % 5}`, braze_id: null, timestamp: T0 + n, properties: { n } },
    }));
    records.push({ topicKey: 'komoSubmissions', key: 'x@example.com', value: { submission_id: 's2', hub_id: 'no-such-hub', card_id: 'c1', submitted_at: T0, email: 'x@example.com', fields: {} } });
    await s.produce(records, 0);
    await settled(s, records.length);

    const admin = new Kafka({ brokers: [...s.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const ends = new Map((await admin.fetchTopicOffsets(topics.actioniqEvents)).map((o) => [o.partition, o.high]));
      // Delivered records are committed within commitIntervalMs.
      await waitFor(async () => {
        const [t] = await admin.fetchOffsets({ groupId: kafka.groupId, topics: [topics.actioniqEvents] });
        return t!.partitions.every((p) => p.offset === ends.get(p.partition));
      }, 'the events committed');

      const running = await readStatus(s.config);
      expect(running.groupId).toBe(kafka.groupId);
      expect(running.members).toHaveLength(1);
      expect(running.members[0]!.clientId).toBe(kafka.clientId);
      expect(running.members[0]!.host).not.toBe('');
      expect(running.members[0]!.assignment[topics.actioniqEvents]?.toSorted()).toEqual([0, 1]);
      expect(running.deadLetters).toEqual({ topic: topics.deadLetter, exists: true, count: 1 });
      const events = running.topics.find((t) => t.topic === topics.actioniqEvents)!;
      expect(events.partitions.map((p) => p.assignedTo)).toEqual([kafka.clientId, kafka.clientId]);
      expect(events.lag).toBe(0);

      await s.app.stop();
      // The figures the command prints are the group's own, as kafkajs's admin reads them.
      const dir = mkdtempSync(join(tmpdir(), 'tributary-status-'));
      dirs.push(dir);
      const file = join(dir, 'tributary.yaml');
      writeFileSync(file, `topics:\n${Object.entries(topics).filter(([, v]) => typeof v === 'string').map(([k, v]) => `  ${k}: ${String(v)}`).join('\n')}\n`);
      const json = await statusCli(['--config', file, '--group', kafka.groupId, '--json'], { KAFKA_BROKERS: s.brokers.join(',') });
      expect(json.code, json.stderr).toBe(0);
      const status = JSON.parse(json.stdout) as GroupStatus;
      const consumed = status.topics.map((t) => t.topic);
      const committed = await admin.fetchOffsets({ groupId: kafka.groupId, topics: consumed });
      for (const t of committed) {
        const reported = status.topics.find((x) => x.topic === t.topic)!;
        const ends = await admin.fetchTopicOffsets(t.topic);
        for (const p of t.partitions) {
          const r = reported.partitions.find((x) => x.partition === p.partition)!;
          const end = ends.find((e) => e.partition === p.partition)!;
          expect(r.committed).toBe(p.offset === '-1' ? null : p.offset);
          expect(r.logEnd).toBe(end.high);
          expect(r.lag).toBe(Number(end.high) - Number(p.offset === '-1' ? end.low : p.offset));
        }
      }
      expect(status.topics.find((t) => t.topic === topics.actioniqEvents)!.partitions.map((p) => p.committed)).toEqual([...ends.keys()].sort().map((p) => ends.get(p)));
      expect(status.members).toEqual([]);
      expect(status.deadLetters.count).toBe(1);

      const human = await statusCli(['--config', file, '--group', kafka.groupId], { KAFKA_BROKERS: s.brokers.join(',') });
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(new RegExp(`^group ${kafka.groupId} \\(Empty\\), 0 members, total lag 0`));
      expect(human.stdout).toMatch(/TOPIC\s+PARTITION\s+COMMITTED\s+LOG-START\s+LOG-END\s+LAG\s+CLIENT-ID/);
      expect(human.stdout).toContain(`dead letters: 1 record retained in ${topics.deadLetter}`);
    } finally {
      await admin.disconnect();
    }
  }, 90_000);
});
