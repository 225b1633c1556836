import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SerializedStore } from './profile-store.js';

export const DATA_FILE = 'braze-sandbox.json';

/** Reads the saved profiles, or undefined when the folder holds none yet. */
export async function loadStore(dataDir: string): Promise<SerializedStore | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, DATA_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const data = JSON.parse(text) as SerializedStore;
  if (data.version !== 1 || !Array.isArray(data.profiles)) {
    throw new Error(`${join(dataDir, DATA_FILE)} is not a Braze sandbox data file (version 1)`);
  }
  return data;
}

/** Writes through a temporary file and a rename so a crash never leaves half a file. */
export async function saveStore(dataDir: string, data: SerializedStore): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, DATA_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(data));
  await rename(tmp, file);
}
