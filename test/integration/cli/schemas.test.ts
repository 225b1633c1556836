import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startSchemaRegistry, type SchemaRegistrySandbox } from '@tributary/sandbox';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function schemasCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--conditions=tributary-source', '--import', 'tsx', join(ROOT, 'src/main.ts'), 'schemas', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('tributary schemas', () => {
  it('registers the schemas under the configured topic names, and check exits 1 on a break, listing it; unregistered subjects are new', async () => {
    const registry: SchemaRegistrySandbox = await startSchemaRegistry({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => registry.close());
    const dir = mkdtempSync(join(tmpdir(), 'tributary-schemas-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const schemasDir = join(dir, 'schemas');
    cpSync(join(ROOT, 'schemas'), schemasDir, { recursive: true });
    const config = join(dir, 'tributary.yaml');
    writeFileSync(config, 'topics:\n  actioniqEvents: acme.aiq.events\n');
    const env = { SCHEMA_REGISTRY_URL: registry.url };
    const subjects = async () => (await (await fetch(`${registry.url}/subjects`)).json()) as string[];
    const common = ['--config', config, '--schemas', schemasDir];

    const dry = await schemasCli(['register', ...common, '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would register actioniq.events.avsc as acme.aiq.events-value on ${registry.url}`);
    expect(await subjects()).toEqual([]);

    const before = await schemasCli(['check', ...common], env);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/acme\.aiq\.events-value\s+new \(not registered yet\)/);

    const reg = await schemasCli(['register', ...common], env);
    expect(reg.code, reg.stderr).toBe(0);
    expect(reg.stdout).toMatch(/registered actioniq\.events\.avsc as acme\.aiq\.events-value \(schema id \d+\)/);
    const registered = await subjects();
    expect(registered).toContain('acme.aiq.events-value');
    expect(registered).toContain('extole.events-value');
    expect(registered).not.toContain('actioniq.events-value');

    const same = await schemasCli(['check', ...common, '--json'], env);
    expect(same.code, same.stderr).toBe(0);
    const verdicts = JSON.parse(same.stdout) as { ok: boolean; subjects: { subject: string; verdict: string }[] };
    expect(verdicts.ok).toBe(true);
    expect(new Set(verdicts.subjects.map((s) => s.verdict))).toEqual(new Set(['compatible']));

    // A new required field without a default: consumers of the new schema cannot read the old records.
    const file = join(schemasDir, 'actioniq.events.avsc');
    const schema = JSON.parse(readFileSync(file, 'utf8')) as { fields: object[] };
    schema.fields.push({ name: 'campaign_id', type: 'string', doc: 'new and required' });
    writeFileSync(file, JSON.stringify(schema));
    writeFileSync(join(schemasDir, 'acme.new-topic.avsc'), JSON.stringify({ type: 'record', name: 'NewThing', fields: [{ name: 'id', type: 'string' }] }));
    const broken = await schemasCli(['check', ...common], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/acme\.aiq\.events-value\s+incompatible/);
    expect(broken.stdout).toMatch(/acme\.new-topic-value\s+new \(not registered yet\)/);
    expect(broken.stdout).toMatch(/extole\.events-value\s+compatible/);
    expect(broken.stdout).toContain('1 schema breaks its subject');
    const listed = broken.stdout.slice(broken.stdout.indexOf('breaks its subject'));
    expect(listed).toContain('acme.aiq.events-value (actioniq.events.avsc):');
    expect(listed).toContain('campaign_id');
  }, 90_000);

  it('refuses a missing or unknown subcommand with exit code 2 and prints help for -h', async () => {
    const [none, bad, help] = await Promise.all([schemasCli([], {}), schemasCli(['regster'], {}), schemasCli(['check', '-h'], {})]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: tributary schemas register');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown subcommand "regster"');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: tributary schemas check');
  }, 60_000);
});
