import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDir } from '../../../src/kafka/data-dir.js';
import { PartitionLog } from '../../../src/kafka/partition-log.js';
import { readBaseOffset, readBatchHeader } from '../../../src/kafka/record-batch.js';
import { batchWith } from './batches.js';

describe('kafka sandbox data directory', () => {
  let root: string;
  const lines: string[] = [];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kafka-data-dir-'));
    lines.length = 0;
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  function open(retentionBytes = 1 << 30, segmentBytes = 1 << 20): PartitionLog {
    const log = new PartitionLog(retentionBytes);
    new DataDir(root, (l) => lines.push(l)).openPartition('t', 0, log, segmentBytes);
    return log;
  }

  function append(log: PartitionLog, batch: Buffer): void {
    log.append(Buffer.from(batch), readBatchHeader(batch));
  }

  it('rebuilds the log and its index from the segment files', () => {
    const log = open();
    for (let i = 0; i < 5; i++) append(log, batchWith([0, 0]));
    log.close();

    const reopened = open();
    expect(reopened.logEndOffset).toBe(10);
    expect(reopened.read(7, 1 << 20, 0).batches.map(readBaseOffset)).toEqual([6, 8]);
    append(reopened, batchWith([0]));
    expect(reopened.logEndOffset).toBe(11);
    reopened.close();
  });

  it('cuts a torn record off the end of the last segment', () => {
    const log = open();
    append(log, batchWith([0]));
    append(log, batchWith([0]));
    log.close();
    const dir = join(root, 'logs', 't', '0');
    const [segment] = readdirSync(dir);
    const intactBytes = statSync(join(dir, segment)).size;
    appendFileSync(join(dir, segment), Buffer.from([0, 0, 1, 0, 9, 9, 9]));

    const reopened = open();
    expect(reopened.logEndOffset).toBe(2);
    expect(statSync(join(dir, segment)).size).toBe(intactBytes);
    expect(lines.some((l) => l.includes('unreadable bytes'))).toBe(true);
    reopened.close();
  });

  it('rolls segments and deletes those wholly below the log start', () => {
    const size = readBatchHeader(batchWith([0])).sizeBytes;
    const log = open(size * 4, (size + 4) * 2);
    for (let i = 0; i < 20; i++) append(log, batchWith([0]));
    log.close();
    const names = readdirSync(join(root, 'logs', 't', '0')).sort();
    // Two batches per segment, four batches retained: the segments from offset 16 on remain.
    expect(names).toEqual(['00000000000000000016.log', '00000000000000000018.log']);

    const reopened = open(size * 4, (size + 4) * 2);
    expect(reopened.logStartOffset).toBe(16);
    expect(reopened.logEndOffset).toBe(20);
    reopened.close();
  });
});
