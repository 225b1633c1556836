import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const running: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function tributary(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--conditions=tributary-source', '--import', 'tsx', join(ROOT, 'src/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    const onData = () => {
      const nl = stdout.indexOf('\n');
      if (nl >= 0) resolve(stdout.slice(0, nl));
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`exited ${code} before a line: ${stderr}`)));
  });
  // Only tests that wait for a ready line observe this; for the others an early exit is the expected outcome.
  firstLine.catch(() => undefined);
  return { child, firstLine, exited, out: () => stdout, err: () => stderr };
}

describe('the tributary command', () => {
  it('`sandbox kafka --port 0` prints one ready line with a broker real clients use, and stops on SIGTERM', async () => {
    const t = tributary(['sandbox', 'kafka', '--port', '0']);
    const ready = JSON.parse(await t.firstLine) as { ready: boolean; kafka: string };
    expect(ready.ready).toBe(true);
    expect(ready.kafka).toMatch(/^127\.0\.0\.1:\d+$/);
    const admin = new Kafka({ brokers: [ready.kafka], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic: 'cli-check', numPartitions: 2 }] });
    expect(await admin.listTopics()).toContain('cli-check');
    await admin.disconnect();
    t.child.kill('SIGTERM');
    expect(await t.exited).toBe(0);
    expect(t.out().trim().split('\n')).toHaveLength(1);
  });

  it('`sandbox` prints one ready line whose Kafka, registry and Braze addresses all answer', async () => {
    const t = tributary(['sandbox', '--kafka-port', '0', '--registry-port', '0', '--braze-port', '0', '--braze-api-key', 'cli-key']);
    const ready = JSON.parse(await t.firstLine) as Record<string, string | boolean>;
    expect(ready).toMatchObject({ ready: true, brazeApiKey: 'cli-key' });
    expect((await fetch(`${ready.schemaRegistry}/subjects`)).status).toBe(200);
    const track = await fetch(`${ready.braze}/users/track`, {
      method: 'POST',
      headers: { authorization: 'Bearer cli-key', 'content-type': 'application/json' },
      body: JSON.stringify({ attributes: [{ external_id: 'u1', tier: 'gold' }] }),
    });
    expect(track.status).toBe(201);
    // The partner receivers record what they accept.
    const mi = await fetch(String(ready.movableInk), {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('sandbox-user:sandbox-password').toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'track', event: 'e', timestamp: 1, anonymous_id: 'a' }),
    });
    expect(mi.status).toBe(200);
    const quikly = await fetch(String(ready.quiklyWebhook), { method: 'POST', headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' }, body: '{}' });
    expect(quikly.status).toBe(401);
    const listing = await fetch(new URL('/_sandbox/requests', String(ready.movableInk)));
    const recorded = (await listing.json()) as { requests: unknown[] };
    expect(recorded.requests).toHaveLength(1);
    const admin = new Kafka({ brokers: [String(ready.kafka)], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    expect(Array.isArray(await admin.listTopics())).toBe(true);
    await admin.disconnect();
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
  });

  it('`sandbox --sms-group G --double-opt-in-event NAME=G` declares SMS groups and events that start a pending double opt-in', async () => {
    const sms = '8a0c9d4e-2b7f-4e61-8c3a-5d9e1f2a3b44';
    const other = '5b6c7d8e-9f01-4a2b-8c3d-4e5f6a7b8c9d';
    const t = tributary(['sandbox', '--kafka-port', '0', '--registry-port', '0', '--braze-port', '0',
      '--sms-group', sms, `--sms-group=${other.toUpperCase()}`, '--double-opt-in-event', `quikly_sms_optin=${sms}`]);
    const ready = JSON.parse(await t.firstLine) as { braze: string; brazeApiKey: string };
    const config = await (await fetch(`${ready.braze}/_sandbox/config`)).json() as Record<string, unknown>;
    expect(config.subscriptionGroups).toEqual({ [sms]: 'sms', [other]: 'sms' });
    expect(config.doubleOptInEvents).toEqual({ quikly_sms_optin: sms });
    const api = (path: string, body?: unknown) => fetch(`${ready.braze}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ready.brazeApiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const track = await api('/users/track', {
      attributes: [{ external_id: 'q1', phone: '+15555550100' }],
      events: [{ external_id: 'q1', name: 'quikly_sms_optin', time: '2024-05-01T10:00:00Z' }],
    });
    expect(track.status).toBe(201);
    const status = () => api(`/subscription/status/get?subscription_group_id=${sms}&phone=%2B15555550100`).then((r) => r.json());
    expect(await status()).toEqual({ status: { '+15555550100': 'Unsubscribed' }, message: 'success' });
    // The other declared group is an SMS group: it refuses emails.
    const email = await api('/subscription/status/set', { subscription_group_id: other, subscription_state: 'subscribed', email: 'a@example.com' });
    expect(email.status).toBe(400);
    t.child.kill('SIGTERM');
    expect(await t.exited).toBe(0);
  });

  it('`sandbox --lean` starts a lean Braze sandbox: it answers and counts requests, and keeps no request log', async () => {
    const t = tributary(['sandbox', '--kafka-port', '0', '--registry-port', '0', '--braze-port', '0', '--lean']);
    const ready = JSON.parse(await t.firstLine) as { braze: string; brazeApiKey: string };
    const track = (body: unknown) => fetch(`${ready.braze}/users/track`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ready.brazeApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect((await track({ attributes: [{ external_id: 'u1', AIQ_1_2: true }] })).status).toBe(201);
    expect((await track({ attributes: [] })).status).toBe(400);
    const counters = await (await fetch(`${ready.braze}/_sandbox/counters`)).json() as { byEndpoint: unknown; profiles: number };
    expect(counters.byEndpoint).toEqual({ 'POST /users/track': { 201: 1, 400: 1 } });
    expect(counters.profiles).toBe(1);
    const requests = await fetch(`${ready.braze}/_sandbox/requests`);
    expect(requests.status).toBe(409);
    expect(((await requests.json()) as { error: string }).error).toContain('lean mode');
    t.child.kill('SIGTERM');
    expect(await t.exited).toBe(0);
  });

  it('`sandbox` refuses a bad --sms-group or --double-opt-in-event with exit code 2', async () => {
    const sms = '8a0c9d4e-2b7f-4e61-8c3a-5d9e1f2a3b44';
    const cases: [string[], string][] = [
      [['--sms-group', 'marketing'], '--sms-group takes a subscription group id'],
      [['--double-opt-in-event', 'optin'], '--double-opt-in-event takes NAME=GROUP_ID'],
      [['--double-opt-in-event', `optin=${sms}`], 'is not an SMS group; declare it with --sms-group'],
    ];
    const runs = cases.map(([flags]) => tributary(['sandbox', '--kafka-port', '0', '--registry-port', '0', '--braze-port', '0', ...flags]));
    for (const [i, run] of runs.entries()) {
      expect(await run.exited).toBe(2);
      expect(run.err()).toContain(cases[i]![1]);
      expect(run.out()).toBe('');
    }
  });

  it('`config check` lists every problem at once and exits 1; a good file passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'braze:\n  lingerMs: -5\n  maxObjectsPerRequest: 200\nkafka:\n  brokerz: [x]\n');
      const t = tributary(['config', 'check', '--config', bad], { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'k' });
      expect(await t.exited).toBe(1);
      expect(t.err()).toMatch(/3 problems/);
      expect(t.err()).toContain('braze.lingerMs');
      expect(t.err()).toContain('braze.maxObjectsPerRequest');
      expect(t.err()).toContain('kafka.brokerz');
      const good = tributary(['config', 'check', '--print'], { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'very-secret-key' });
      expect(await good.exited).toBe(0);
      expect(good.out()).toContain('configuration OK');
      expect(good.out()).not.toContain('very-secret-key');
      const outbound = join(dir, 'outbound.yaml');
      writeFileSync(outbound, 'topics:\n  consume: [extoleEvents, brazeEvents]\noutbound:\n  routes: [{event: Product Viewed, to: movableInk}, {event: App Login, to: quiklyWebhook, qScope: s, eventId: e}]\n  movableInk: {url: "https://mi.example.com/behavioral/K"}\n');
      const noCredentials = tributary(['config', 'check', '--config', outbound], { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'k' });
      expect(await noCredentials.exited).toBe(1);
      expect(noCredentials.err()).toContain('MOVABLE_INK_USERNAME');
      expect(noCredentials.err()).toContain('MOVABLE_INK_PASSWORD');
      expect(noCredentials.err()).toContain('QUIKLY_API_KEY');
      const secrets = { MOVABLE_INK_USERNAME: 'mi-user', MOVABLE_INK_PASSWORD: 'mi-very-secret', QUIKLY_API_KEY: 'quikly-very-secret', BRAZE_EVENTS_TOKEN: 'receiver-very-secret' };
      const withCredentials = tributary(['config', 'check', '--print', '--config', outbound], { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'k', ...secrets });
      expect(await withCredentials.exited).toBe(0);
      expect(withCredentials.out()).toContain('configuration OK');
      for (const secret of ['mi-very-secret', 'quikly-very-secret', 'receiver-very-secret']) {
        expect(withCredentials.out()).not.toContain(secret);
        expect(withCredentials.err()).not.toContain(secret);
      }
      const missing = tributary(['config', 'check'], { BRAZE_REST_ENDPOINT: '', BRAZE_API_KEY: '' });
      expect(await missing.exited).toBe(1);
      expect(missing.err()).toContain('BRAZE_API_KEY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown command or option with a message and exit code 2', async () => {
    const t = tributary(['sandbox', 'kafka', '--prot', '1']);
    expect(await t.exited).toBe(2);
    expect(t.err()).toContain('unknown option --prot');
    const u = tributary(['nope']);
    expect(await u.exited).toBe(2);
    expect(u.err()).toContain('unknown command');
  });

  it('prints help for -h/--help on every command without starting anything, and the version for --version/-V', async () => {
    // Were `run` to start, it would fail on this broker with exit code 1 instead of printing its help.
    const env = { KAFKA_BROKERS: '127.0.0.1:1', BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'k' };
    const cases: [string[], string][] = [
      [['run', '-h'], 'usage: tributary run'],
      [['run', '--config', 'nowhere.yaml', '--help'], 'usage: tributary run'],
      [['demo', '-h'], 'usage: tributary demo'],
      [['sandbox', '-h'], 'usage: tributary sandbox'],
      [['sandbox', 'kafka', '-h'], 'usage: tributary sandbox kafka'],
      [['config', 'check', '-h'], 'usage: tributary config check'],
      [['config', '--help'], 'usage: tributary config check'],
    ];
    const runs = cases.map(([args]) => tributary(args, env));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const versions = [tributary(['--version']), tributary(['-V'])];
    for (const [i, run] of runs.entries()) {
      expect(await run.exited, cases[i]![0].join(' ')).toBe(0);
      expect(run.out()).toContain(cases[i]![1]);
      expect(run.out()).toContain('-h, --help');
    }
    for (const v of versions) {
      expect(await v.exited).toBe(0);
      expect(v.out()).toBe(`tributary ${pkg.version}\n`);
    }
  }, 60_000);

  it('refuses stray arguments and unknown options on every command with exit code 2 and the usage', async () => {
    const cases: [string[], string][] = [
      [['run', 'now'], 'unexpected argument "now"'],
      [['run', '--fast'], 'unknown option --fast'],
      [['config', 'check', 'extra'], 'unexpected argument "extra"'],
      [['config', 'chekc'], 'unknown subcommand "chekc"'],
      [['sandbox', 'kafka', 'x'], 'unexpected argument "x"'],
      [['demo', '--rate'], 'option --rate needs a value'],
    ];
    const runs = cases.map(([args]) => tributary(args));
    for (const [i, run] of runs.entries()) {
      expect(await run.exited, cases[i]![0].join(' ')).toBe(2);
      expect(run.err()).toContain(cases[i]![1]);
      expect(run.err()).toContain(`usage: tributary ${cases[i]![0][0]}`);
      expect(run.out()).toBe('');
    }
  }, 60_000);

  it('`demo` runs the whole pipeline on the sandbox, delivers records, and stops cleanly by itself', async () => {
    const t = tributary(['demo', '--duration-s', '4', '--rate', '300', '--metrics-port', '0']);
    expect(await t.exited).toBe(0);
    const last = t.out().trim().split('\n').pop()!;
    const delivered = Number(/delivered (\d+)/.exec(last)?.[1]);
    const dead = Number(/dead letters (\d+)/.exec(last)?.[1]);
    expect(delivered).toBeGreaterThan(100);
    expect(dead).toBeGreaterThanOrEqual(0);
    expect(Number(/Braze events posted (\d+)/.exec(last)?.[1])).toBeGreaterThan(0);
    expect(Number(/to Movable Ink (\d+)/.exec(last)?.[1])).toBeGreaterThan(0);
    expect(Number(/to Quikly (\d+)/.exec(last)?.[1])).toBeGreaterThan(0);
    expect(last).toContain('stopped');
  }, 60_000);
});
