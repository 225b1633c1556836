import { parseCommand, UsageError, type FlagSpec } from './args.js';
import { metricTotal, startDemoStack } from './demo-stack.js';
import { onStopSignal } from './run.js';
import { SAMPLE_SMS_GROUP, SampleRecordGenerator } from '../app/sample-records.js';
import { defaultConfig } from '../config/index.js';
import { startMovableInkSandbox, startQuiklyWebhookSandbox } from '@tributary/sandbox/partners';

const RECEIVER_TOKEN = 'demo-receiver-token';
const SAMPLE_EVENT_NAMES = ['Product Viewed', 'Product Viewed', 'Account Created', 'App Login', 'Push Enabled'] as const;

/** A sample Braze event as a webhook campaign posts it (about a third anonymous). */
function sampleBrazeEvent(i: number): Record<string, unknown> {
  const person = i % 400;
  const name = SAMPLE_EVENT_NAMES[i % SAMPLE_EVENT_NAMES.length]!;
  const known = name === 'Account Created' || person % 3 !== 0;
  return {
    name,
    time: Date.now(),
    email: `person-${person}@example.com`,
    ...(known ? { external_id: `demo-user-${person}` } : {}),
    time_zone: 'Europe/Paris',
    properties: name === 'Product Viewed' ? { sku: `SKU-${i % 50}`, price: 10 + (i % 90) } : {},
  };
}

const FLAGS: FlagSpec = {
  rate: { type: 'number', help: 'sample records produced per second (default 500)' },
  'duration-s': { type: 'number', help: 'stop by itself after this many seconds (default: run until Ctrl-C)' },
  'braze-latency-ms': { type: 'number', help: 'latency the Braze sandbox adds to each answer (default 50)' },
  'metrics-port': { type: 'number', help: 'port for /metrics, /healthz, /readyz (default 9464; 0 picks a free port)' },
  help: { type: 'boolean', help: 'show this help' },
};

/**
 * `tributary demo` (what `npm start` runs): the sandbox stack in-process, schemas registered, a realistic
 * stream of every partner's records, the pipeline delivering it, and a live one-line summary.
 */
export async function demoCommand(argv: string[]): Promise<number> {
  const { flags, helped } = parseCommand(argv, FLAGS, 'tributary demo [options]');
  if (helped) return 0;
  const rate = (flags.rate as number | undefined) ?? 500;
  if (!(rate > 0 && rate <= 100_000)) throw new UsageError('--rate takes a number of records per second between 1 and 100000');
  const durationS = flags['duration-s'] as number | undefined;
  if (durationS !== undefined && !(durationS > 0)) throw new UsageError('--duration-s takes a positive number of seconds');
  const latencyMs = (flags['braze-latency-ms'] as number | undefined) ?? 50;
  const metricsPort = (flags['metrics-port'] as number | undefined) ?? 9464;

  process.stderr.write('tributary demo: starting the sandbox stack (Kafka, Schema Registry, Braze, Movable Ink and Quikly receivers) in this process…\n');
  const movableInk = await startMovableInkSandbox();
  const quiklyWebhook = await startQuiklyWebhookSandbox();
  const stack = await startDemoStack({
    braze: { latencyMs, subscriptionGroups: { [SAMPLE_SMS_GROUP]: 'sms' } },
    // A short subscription wait, so the demo shows Quikly's credits within seconds.
    overrides: {
      observability: { port: metricsPort, host: '127.0.0.1' },
      partners: { quikly: { subscriptionDelayMs: 5000 } },
      topics: { consume: [...defaultConfig().topics.consume, 'brazeEvents'] },
      outbound: {
        allowInsecure: true,
        routes: [
          { event: 'Product Viewed', to: 'movableInk' },
          { event: 'Account Created', to: 'movableInk', type: 'identify' },
          { event: 'App Login', to: 'quiklyWebhook', qScope: 'demo-scope', eventId: 'app_login' },
          { event: 'Push Enabled', to: 'quiklyWebhook', qScope: 'demo-scope', eventId: 'push_enabled' },
        ],
        movableInk: { url: movableInk.url, username: 'sandbox-user', password: 'sandbox-password' },
        quiklyWebhook: { url: quiklyWebhook.url, token: 'sandbox-quikly-token' },
        receiver: { enabled: true, token: RECEIVER_TOKEN },
      },
    },
  }).catch(async (err: Error & { code?: string }) => {
    await movableInk.close();
    await quiklyWebhook.close();
    if (err.code === 'EADDRINUSE') throw new UsageError(`port ${metricsPort} is in use; pass --metrics-port 0 (or another port)`);
    throw err;
  });
  const { braze, app } = stack;
  const tty = process.stdout.isTTY === true;
  process.stdout.write(
    [
      'tributary demo is running on the embedded sandbox:',
      `  kafka            ${stack.brokers.join(',')}`,
      `  schema registry  ${stack.schemaRegistryUrl}`,
      `  braze sandbox    ${braze.url}  (profiles: ${braze.url}/_sandbox/profiles)`,
      `  metrics          ${app.metricsUrl ?? 'disabled'}/metrics`,
      `  braze events     POST ${app.receiverUrl ?? 'disabled'}  (Authorization: Bearer ${RECEIVER_TOKEN})`,
      `  movable ink      ${movableInk.url}  (requests: ${new URL('/_sandbox/requests', movableInk.url).href})`,
      `  quikly webhook   ${quiklyWebhook.url}  (requests: ${new URL('/_sandbox/requests', quiklyWebhook.url).href})`,
      `producing ${rate} sample records/s across the ActionIQ, Extole, Komo and Quikly topics; Ctrl-C stops cleanly.`,
      '',
    ].join('\n'),
  );

  const generator = new SampleRecordGenerator({ quiklyShare: 0.01 });
  let stopping = false;
  let produced = 0;
  let posted = 0;
  // Braze events arrive through the receiver, as a webhook campaign would post them: a twentieth of the rate.
  const posting = (async () => {
    let i = 0;
    while (!stopping && app.receiverUrl) {
      const events = Array.from({ length: Math.max(1, Math.round(rate / 200)) }, () => sampleBrazeEvent(i++));
      await fetch(app.receiverUrl, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ events }) })
        .then(async (res) => {
          await res.arrayBuffer();
          if (res.status === 202) posted += events.length;
        })
        .catch((err: Error) => process.stderr.write(`posting Braze events failed: ${err.message}\n`));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const tickMs = 100;
  const producing = (async () => {
    let carry = 0;
    while (!stopping) {
      const started = Date.now();
      carry += (rate * tickMs) / 1000;
      const n = Math.floor(carry);
      carry -= n;
      if (n > 0) {
        const batch = Array.from({ length: n }, () => generator.next());
        await stack.produce(batch).catch((err: Error) => process.stderr.write(`produce failed: ${err.message}\n`));
        produced += n;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - started))));
    }
  })();

  let last = { at: Date.now(), delivered: 0 };
  const summary = async (final = false) => {
    const delivered = await metricTotal(app, 'tributary_records_delivered_total');
    const received = await metricTotal(app, 'tributary_records_received_total');
    const requests = await metricTotal(app, 'tributary_braze_requests_total');
    const throttled = await metricTotal(app, 'tributary_braze_requests_total', (l) => l.status === '429');
    const dead = await metricTotal(app, 'tributary_records_dead_lettered_total');
    const skipped = await metricTotal(app, 'tributary_records_skipped_total');
    const credits = await metricTotal(app, 'tributary_records_handed_off_total', (l) => l.topic === 'quiklyCredits');
    const now = Date.now();
    const perSecond = ((delivered - last.delivered) * 1000) / Math.max(1, now - last.at);
    last = { at: now, delivered };
    const toPartner = (endpoint: string) => metricTotal(app, 'tributary_braze_requests_total', (l) => l.endpoint === endpoint && String(l.status).startsWith('2'));
    const partners = `Braze events posted ${posted} | to Movable Ink ${await toPartner('movable-ink')} | to Quikly ${await toPartner('quikly-webhook')}`;
    const line = `produced ${produced} | consumed ${received} | delivered ${delivered} (${perSecond.toFixed(0)}/s) | Braze requests ${requests - (await toPartner('movable-ink')) - (await toPartner('quikly-webhook'))} (429: ${throttled}) | dead letters ${dead} | skipped ${skipped} | Quikly credits ${credits} | ${partners} | ${app.state()}`;
    if (tty && !final) process.stdout.write(`\r\x1b[2K${line}`);
    else process.stdout.write(`${line}\n`);
  };
  const ticker = setInterval(() => void summary(), tty ? 1000 : 5000);

  let stopRequested!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve));
  const off = onStopSignal(async () => stopRequested());
  const timer = durationS === undefined ? null : setTimeout(() => stopRequested(), durationS * 1000);
  await Promise.race([stopSignal, app.finished]);
  stopping = true;
  if (timer) clearTimeout(timer);
  clearInterval(ticker);
  await producing;
  await posting;
  if (tty) process.stdout.write('\n');
  process.stderr.write('tributary demo: stopping (draining in-flight work, committing offsets)…\n');
  await app.stop();
  await summary(true);
  await stack.close();
  await movableInk.close();
  await quiklyWebhook.close();
  off();
  return app.state() === 'crashed' ? 1 : 0;
}
