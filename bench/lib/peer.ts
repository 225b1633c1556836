/**
 * Redpanda Connect as a contestant, through bench/peers/redpanda-connect.ts when it is there: it finds or builds
 * the binary and writes its pipeline configuration. Loaded at run time, so the benchmark runs (and says why the
 * row is missing) without it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface PeerBuild {
  readonly ok: true;
  readonly binary: string;
  readonly version: string;
  readonly built: boolean;
  readonly buildSeconds: number;
}

export interface PeerConfigInput {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly registryUrl: string;
  readonly brazeUrl: string;
  readonly brazeApiKey: string;
  readonly maxInFlight: number;
  readonly attributePrefix?: string;
}

export interface PeerModule {
  prepareRedpandaConnect(log: (line: string) => void): Promise<PeerBuild | { ok: false; reason: string }>;
  redpandaConnectConfig(input: PeerConfigInput): string;
  redpandaConnectCommand(build: PeerBuild, configPath: string): { command: string; args: string[] };
  readonly PEER_ORDER_NOTE: string;
}

export type PeerLoad = { ok: true; module: PeerModule; build: PeerBuild } | { ok: false; reason: string };

const PEER_FILE = fileURLToPath(new URL('../peers/redpanda-connect.ts', import.meta.url));

export async function loadPeer(log: (line: string) => void): Promise<PeerLoad> {
  if (!existsSync(PEER_FILE)) return { ok: false, reason: 'bench/peers/redpanda-connect.ts is not in this checkout' };
  let mod: Partial<PeerModule>;
  try {
    mod = (await import(pathToFileURL(PEER_FILE).href)) as Partial<PeerModule>;
  } catch (err) {
    return { ok: false, reason: `bench/peers/redpanda-connect.ts failed to load: ${(err as Error).message}` };
  }
  for (const name of ['prepareRedpandaConnect', 'redpandaConnectConfig', 'redpandaConnectCommand'] as const) {
    if (typeof mod[name] !== 'function') return { ok: false, reason: `bench/peers/redpanda-connect.ts does not export ${name}()` };
  }
  const module = { PEER_ORDER_NOTE: '', ...mod } as PeerModule;
  try {
    const build = await module.prepareRedpandaConnect(log);
    if (!build.ok) return { ok: false, reason: build.reason };
    return { ok: true, module, build };
  } catch (err) {
    return { ok: false, reason: `preparing Redpanda Connect failed: ${(err as Error).message}` };
  }
}
