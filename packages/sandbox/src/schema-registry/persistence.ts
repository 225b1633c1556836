import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryState } from './registry-state.js';

export const STATE_FILE_NAME = 'schema-registry.json';

export interface StateFile {
  readonly path: string;
  /** Writes the state if it changed since the last save; saves run one at a time, in call order. */
  save(state: RegistryState): Promise<void>;
  /** Resolves once every save requested so far has finished. */
  flush(): Promise<void>;
}

/** Loads `<dataDir>/schema-registry.json` (or fresh state when there is none yet). */
export async function openStateFile(dataDir: string): Promise<{ file: StateFile; state: RegistryState }> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, STATE_FILE_NAME);
  let state: RegistryState;
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    state = new RegistryState();
  } else {
    // Refuse to start on a damaged file instead of silently starting empty and overwriting it.
    try {
      state = RegistryState.fromSnapshot(JSON.parse(text));
    } catch (err) {
      throw new Error(`cannot load ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  return { file: createStateFile(path, state.revision), state };
}

function createStateFile(path: string, initialRevision: number): StateFile {
  let savedRevision = initialRevision;
  let tail: Promise<void> = Promise.resolve();
  let sequence = 0;

  const write = async (state: RegistryState): Promise<void> => {
    const revision = state.revision;
    if (revision === savedRevision) return;
    // The snapshot is taken when this write runs, so a queue of saves collapses into fewer writes.
    const text = `${JSON.stringify(state.snapshot(), null, 2)}\n`;
    const tmp = `${path}.${process.pid}.${++sequence}.tmp`;
    try {
      await writeFile(tmp, text, 'utf8');
      // rename() is atomic on one filesystem: a reader (or a crash) sees the old file or the new one.
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    savedRevision = revision;
  };

  return {
    path,
    save(state) {
      const run = tail.then(() => write(state));
      // Keep the queue alive after a failed write; the caller still sees this save's error.
      tail = run.catch(() => undefined);
      return run;
    },
    flush() {
      return tail;
    },
  };
}
