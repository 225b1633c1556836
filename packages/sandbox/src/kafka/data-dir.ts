// Optional persistence under `dataDir`:
//   meta.json                      topics and the next producer id (rewritten atomically)
//   offsets.json                   committed offsets per group (debounced, flushed on close)
//   logs/<topic>/<partition>/<base offset, 20 digits>.log
//                                  segments of [int32 size][batch bytes with its offset assigned]
// The index is rebuilt by scanning the segments at start. Writes are synchronous appends, so a
// killed process loses nothing the OS already accepted; a torn tail record is cut off on load.
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writevSync,
} from 'node:fs';
import { join } from 'node:path';
import type { PartitionLog, PartitionStore } from './partition-log.js';
import { readBatchHeader } from './record-batch.js';

export interface MetaFile {
  readonly version: 1;
  readonly nextProducerId: number;
  /** `configs` holds the topic configs given at creation; absent when there were none. */
  readonly topics: Record<string, { readonly partitions: number; readonly configs?: Record<string, string> }>;
}

export interface CommittedOffsetJson {
  readonly offset: string;
  readonly metadata: string | null;
}

export interface GroupJson {
  readonly protocolType: string;
  /** topic -> partition -> committed offset */
  readonly offsets: Record<string, Record<string, CommittedOffsetJson>>;
}

export interface OffsetsFile {
  readonly version: 1;
  readonly groups: Record<string, GroupJson>;
}

const SEGMENT_NAME = /^(\d{20})\.log$/;
const OFFSETS_SAVE_DELAY_MS = 50;

function writeJsonAtomically(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, path);
}

/** Reads a state file; an unreadable one stops the start rather than being overwritten. */
function readJson<T extends { version: number }>(path: string): T | null {
  if (!existsSync(path)) return null;
  let value: T;
  try {
    value = JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new Error(`kafka-sandbox: cannot read ${path}: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || value.version !== 1) {
    throw new Error(`kafka-sandbox: ${path} is not a state file this version understands`);
  }
  return value;
}

export class DataDir {
  private offsetsTimer: NodeJS.Timeout | null = null;
  private offsetsSource: (() => OffsetsFile) | null = null;

  constructor(readonly root: string, private readonly log: (line: string) => void) {
    mkdirSync(join(root, 'logs'), { recursive: true });
  }

  readMeta(): MetaFile | null {
    return readJson<MetaFile>(join(this.root, 'meta.json'));
  }

  writeMeta(meta: MetaFile): void {
    writeJsonAtomically(join(this.root, 'meta.json'), meta);
  }

  readOffsets(): OffsetsFile | null {
    return readJson<OffsetsFile>(join(this.root, 'offsets.json'));
  }

  /** Saves the committed offsets soon; commits come in bursts, one write covers a burst. */
  scheduleOffsetsSave(source: () => OffsetsFile): void {
    this.offsetsSource = source;
    if (this.offsetsTimer !== null) return;
    this.offsetsTimer = setTimeout(() => this.flushOffsets(), OFFSETS_SAVE_DELAY_MS);
    this.offsetsTimer.unref();
  }

  flushOffsets(): void {
    if (this.offsetsTimer !== null) clearTimeout(this.offsetsTimer);
    this.offsetsTimer = null;
    const source = this.offsetsSource;
    this.offsetsSource = null;
    if (source === null) return;
    try {
      writeJsonAtomically(join(this.root, 'offsets.json'), source());
    } catch (err) {
      this.log(`kafka-sandbox: could not save committed offsets: ${(err as Error).message}`);
    }
  }

  private partitionDir(topic: string, partition: number): string {
    return join(this.root, 'logs', topic, String(partition));
  }

  /** Loads a partition's segments into `log` and attaches a store that appends to them. */
  openPartition(topic: string, partition: number, log: PartitionLog, segmentBytes: number): void {
    const dir = this.partitionDir(topic, partition);
    mkdirSync(dir, { recursive: true });
    const segments: Segment[] = [];
    const names = readdirSync(dir).filter((n) => SEGMENT_NAME.test(n)).sort();
    for (const name of names) {
      const path = join(dir, name);
      const sizeBytes = loadSegment(path, log, this.log);
      segments.push({ baseOffset: Number(SEGMENT_NAME.exec(name)![1]), path, sizeBytes });
    }
    const store = new SegmentStore(dir, segments, segmentBytes);
    store.retainFrom(log.logStartOffset);
    log.attachStore(store);
  }

  deleteTopic(topic: string): void {
    rmSync(join(this.root, 'logs', topic), { recursive: true, force: true });
  }
}

interface Segment {
  readonly baseOffset: number;
  readonly path: string;
  sizeBytes: number;
}

/** Reads one segment into the log; returns its valid size, cutting off a torn tail. */
function loadSegment(path: string, log: PartitionLog, diag: (line: string) => void): number {
  const data = readFileSync(path);
  let pos = 0;
  while (pos < data.length) {
    if (data.length - pos < 4) break;
    const size = data.readInt32BE(pos);
    if (size <= 0 || pos + 4 + size > data.length) break;
    const batch = data.subarray(pos + 4, pos + 4 + size);
    try {
      readBatchHeader(batch);
    } catch {
      break;
    }
    log.restore(batch);
    pos += 4 + size;
  }
  if (pos < data.length) {
    diag(`kafka-sandbox: cutting ${data.length - pos} unreadable bytes off the end of ${path}`);
    const fd = openSync(path, 'r+');
    try {
      ftruncateSync(fd, pos);
    } finally {
      closeSync(fd);
    }
  }
  return pos;
}

class SegmentStore implements PartitionStore {
  private fd: number | null = null;
  private readonly sizePrefix = Buffer.alloc(4);

  constructor(
    private readonly dir: string,
    private readonly segments: Segment[],
    private readonly segmentBytes: number,
  ) {}

  append(batch: Buffer, baseOffset: number): void {
    let active = this.segments[this.segments.length - 1];
    if (active === undefined || active.sizeBytes >= this.segmentBytes) {
      this.closeFd();
      active = { baseOffset, path: join(this.dir, `${String(baseOffset).padStart(20, '0')}.log`), sizeBytes: 0 };
      this.segments.push(active);
    }
    if (this.fd === null) this.fd = openSync(active.path, 'a');
    this.sizePrefix.writeInt32BE(batch.length, 0);
    writevSync(this.fd, [this.sizePrefix, batch]);
    active.sizeBytes += 4 + batch.length;
  }

  retainFrom(logStartOffset: number): void {
    // A segment can go once the next one starts at or below the log start; the newest stays.
    while (this.segments.length > 1 && this.segments[1].baseOffset <= logStartOffset) {
      const dropped = this.segments.shift()!;
      try {
        unlinkSync(dropped.path);
      } catch {
        // Already gone; nothing to reclaim.
      }
    }
  }

  private closeFd(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }

  close(): void {
    this.closeFd();
  }
}
