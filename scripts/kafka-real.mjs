#!/usr/bin/env node
// Real Apache Kafka for the test leg `npm run test:kafka` and the benchmarks: a single-node KRaft broker
// (broker and controller in one JVM) on 127.0.0.1, from the jars Maven resolves for scripts/kafka-real/pom.xml.
//
//   node scripts/kafka-real.mjs                     start Kafka, print {"ready":true,"kafka":"127.0.0.1:PORT"}, run until SIGINT/SIGTERM
//   node scripts/kafka-real.mjs -- <command...>     start Kafka, run the command with TRIBUTARY_TEST_KAFKA_BROKERS set,
//                                                   stop Kafka, exit with the command's code
//
// Needs Java 17+ (JAVA_HOME or `java` on PATH) and Maven (`mvn`). The first run downloads about 65 MB into the
// local Maven repository (~/.m2, or TRIBUTARY_TEST_MAVEN_REPO); later runs need no network.
// Importable too: `const kafka = await startRealKafka(); ...; await kafka.stop();`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { constants, homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const POM = join(HERE, 'kafka-real', 'pom.xml');
const HOST = '127.0.0.1';
/** The variable the test helpers read; never the production KAFKA_BROKERS. */
export const BROKERS_ENV = 'TRIBUTARY_TEST_KAFKA_BROKERS';

/** Thrown when Java or Maven is missing or too old: callers (the bench) may skip on it. */
export class KafkaRealUnavailable extends Error {
  constructor(message) {
    super(message);
    this.name = 'KafkaRealUnavailable';
  }
}

/** The pinned Kafka version, read from the pom so there is one place to change it. */
export function kafkaVersion() {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!m) throw new Error(`no <kafka.version> in ${POM}`);
  return m[1];
}

function javaCommand() {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Throws KafkaRealUnavailable unless Java 17+ and Maven are installed. */
export function checkPrerequisites() {
  const java = javaCommand();
  const jv = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (jv.error || jv.status !== 0) {
    throw new KafkaRealUnavailable(
      `Java 17 or newer is needed to run real Kafka, but \`${java} -version\` failed (${jv.error?.message ?? `exit ${jv.status}`}). Install a JDK 17+ (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME.`,
    );
  }
  const m = /version "(\d+)(?:\.(\d+))?/.exec(jv.stderr + jv.stdout);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  if (!(major >= 17)) {
    throw new KafkaRealUnavailable(`Java 17 or newer is needed to run real Kafka ${kafkaVersion()}; \`${java} -version\` reports: ${(jv.stderr || jv.stdout).split('\n')[0]}`);
  }
  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) {
    throw new KafkaRealUnavailable(
      `Maven is needed to fetch real Kafka from Maven Central, but \`mvn -v\` failed (${mvn.error?.message ?? `exit ${mvn.status}`}). Install Maven 3 (e.g. apt-get install maven).`,
    );
  }
  return { java, javaMajor: major };
}

function mavenRepoArgs() {
  const repo = process.env.TRIBUTARY_TEST_MAVEN_REPO;
  return repo ? [`-Dmaven.repo.local=${repo}`] : [];
}

/**
 * The broker's classpath. Maven resolves it once per pom and local repository; the answer is kept in
 * ~/.cache/tributary and reused while every jar on it still exists, which saves Maven's start-up on each run.
 */
export function resolveClasspath(log = () => {}) {
  const pom = readFileSync(POM);
  const key = createHash('sha256').update(pom).update(process.env.TRIBUTARY_TEST_MAVEN_REPO ?? '~/.m2').digest('hex').slice(0, 16);
  const cacheDir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'tributary', 'kafka-real');
  const cached = join(cacheDir, `classpath-${key}.txt`);
  if (existsSync(cached)) {
    const cp = readFileSync(cached, 'utf8').trim();
    if (cp && cp.split(':').every((jar) => existsSync(jar))) return cp;
  }
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `classpath-${key}.tmp`);
  log(`resolving Apache Kafka ${kafkaVersion()} with Maven (the first run downloads it from Maven Central)`);
  const r = spawnSync('mvn', ['-q', '-B', '-f', POM, ...mavenRepoArgs(), 'dependency:build-classpath', `-Dmdep.outputFile=${out}`], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`Maven could not resolve Apache Kafka ${kafkaVersion()} (exit ${r.status ?? r.error?.message}):\n${(r.stdout + r.stderr).trim().split('\n').slice(-30).join('\n')}`);
  }
  const cp = readFileSync(out, 'utf8').trim();
  writeFileSync(cached, cp);
  rmSync(out, { force: true });
  return cp;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Kafka's Uuid text form: 16 random bytes, URL-safe base64 without padding. */
function clusterId() {
  return randomBytes(16).toString('base64url');
}

function serverProperties({ dataDir, port, controllerPort, autoCreateTopics }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${HOST}:${controllerPort}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(dataDir, 'logs')}`,
    // Off unless asked for, as on most production clusters: tests create every topic they use, and a
    // topic a test forgot to create fails loudly instead of appearing.
    `auto.create.topics.enable=${autoCreateTopics}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    // One node: every internal topic has one replica, and a few partitions keep start-up and the first
    // group coordinator look-up quick.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests join groups all the time; the 3 s production delay would only slow them down.
    'group.initial.rebalance.delay.ms=0',
    'delete.topic.enable=true',
    'log.segment.bytes=16777216',
    '',
  ].join('\n');
}

// Warnings and errors only, to kafka.log in the data directory (printed when start-up fails).
const LOG4J2 = `status = warn
appender.file.type = Console
appender.file.name = out
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
`;

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Resolves once the broker answers an ApiVersions request on the listener (a real Kafka reply, not just a TCP accept). */
function answersApiVersions(port) {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    let got = Buffer.alloc(0);
    socket.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 10) done(got.readInt32BE(4) === 7 && got.readInt16BE(8) === 0); // correlation id 7, error_code 0
    });
    socket.connect(port, HOST, () => {
      const clientId = Buffer.from('kafka-real');
      // ApiVersions v0, request header v1: api_key 18, api_version 0, correlation_id 7, client_id.
      const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
      body.writeInt16BE(18, 0);
      body.writeInt16BE(0, 2);
      body.writeInt32BE(7, 4);
      body.writeInt16BE(clientId.length, 8);
      clientId.copy(body, 10);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length, 0);
      socket.write(Buffer.concat([size, body]));
    });
  });
}

/**
 * Kafka-level readiness: the broker is registered and unfenced (Metadata lists it), the group coordinator
 * answers, and producer ids are handed out. The last two answer COORDINATOR_NOT_AVAILABLE and
 * COORDINATOR_LOAD_IN_PROGRESS for a while after a fresh start; clients retry them, but logging and waiting.
 */
async function kafkaReady(broker, timeoutMs) {
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ clientId: 'kafka-real-ready', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  try {
    for (;;) {
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length > 0) {
          // Creates __consumer_offsets now, so the first test's group does not wait for it.
          await admin.describeGroups(['kafka-real-warm-up']);
          // An idempotent producer refuses retries: 0; these retries cover the coordinator's loading.
          const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 10, initialRetryTime: 100 } });
          try {
            await producer.connect(); // InitProducerId
          } finally {
            await producer.disconnect().catch(() => undefined);
          }
          return;
        }
      } catch (err) {
        lastError = err; // not ready yet
      }
      if (Date.now() > deadline) throw new Error(`Kafka on ${broker} did not become ready within ${timeoutMs} ms${lastError ? ` (last: ${lastError.message})` : ''}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A detached shell that outlives this process: if this process dies without stopping Kafka (SIGKILL, a crash),
 * it kills the JVM and deletes the data within a second or two, so no broker is left running.
 */
function watchdog(javaPid, dataDir) {
  const script = 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; if ! kill -0 "$1" 2>/dev/null; then kill -9 "$2" 2>/dev/null; rm -rf "$3"; fi';
  const w = spawn('sh', ['-c', script, 'kafka-real-watchdog', String(process.pid), String(javaPid), dataDir], { stdio: 'ignore', detached: true });
  w.on('error', () => undefined);
  w.unref();
  return w;
}

/**
 * Starts a fresh single-node Kafka in a temporary directory.
 * @param {{ heap?: string, autoCreateTopics?: boolean, readyTimeoutMs?: number, jvmArgs?: string[], log?: (line: string) => void }} [options]
 * @returns {Promise<{ brokers: string[], version: string, dataDir: string, stop(): Promise<void> }>}
 */
export async function startRealKafka(options = {}) {
  const log = options.log ?? (() => {});
  const { java } = checkPrerequisites();
  const classpath = resolveClasspath(log);
  const version = kafkaVersion();
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-kafka-real-'));
  const logFile = join(dataDir, 'kafka.log');
  writeFileSync(join(dataDir, 'log4j2.properties'), LOG4J2);
  const jvm = [
    `-Xms${options.heap ?? '512m'}`,
    `-Xmx${options.heap ?? '512m'}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(dataDir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${dataDir}`,
    ...(options.jvmArgs ?? []),
    '-cp',
    classpath,
  ];
  let child = null;
  let stopped = null;
  const watchdogs = [];
  const removeData = () => rmSync(dataDir, { recursive: true, force: true });
  const killNow = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    removeData();
  };
  // Last resort when the process exits without calling stop(): no JVM or data is left behind.
  process.once('exit', killNow);

  const stop = () => {
    stopped ??= (async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      removeData();
      for (const w of watchdogs) w.kill();
      process.removeListener('exit', killNow);
    })();
    return stopped;
  };

  try {
    // Ports are picked free just before start; another process may take one in between, so retry a few times.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      let controllerPort = await freePort();
      while (controllerPort === port) controllerPort = await freePort();
      rmSync(join(dataDir, 'logs'), { recursive: true, force: true });
      const props = join(dataDir, 'server.properties');
      writeFileSync(props, serverProperties({ dataDir, port, controllerPort, autoCreateTopics: options.autoCreateTopics ?? false }));
      const format = spawnSync(java, [...jvm, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId(), '-c', props], { encoding: 'utf8' });
      if (format.status !== 0) throw new Error(`formatting KRaft storage failed (exit ${format.status}):\n${(format.stdout + format.stderr).trim()}`);

      const fd = openSync(logFile, 'a');
      child = spawn(java, [...jvm, 'kafka.Kafka', props], { stdio: ['ignore', fd, fd] });
      closeSync(fd);
      watchdogs.push(watchdog(child.pid, dataDir));
      const exitedEarly = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const broker = `${HOST}:${port}`;
      const listening = (async () => {
        const deadline = Date.now() + readyTimeoutMs;
        while (!(await answersApiVersions(port))) {
          if (Date.now() > deadline) throw new Error(`Kafka did not answer on ${broker} within ${readyTimeoutMs} ms`);
          await new Promise((r) => setTimeout(r, 200));
        }
        await kafkaReady(broker, Math.max(1000, deadline - Date.now()));
        return 'ready';
      })();
      const outcome = await Promise.race([listening, exitedEarly]);
      if (outcome === 'ready') {
        log(`Apache Kafka ${version} ready on ${broker} (data in ${dataDir})`);
        return { brokers: [broker], version, dataDir, stop };
      }
      const text = tail(logFile);
      if (attempt < 3 && /Address already in use|BindException/.test(text)) {
        log(`port taken while Kafka started (attempt ${attempt}); retrying with other ports`);
        continue;
      }
      throw new Error(`Kafka exited during start-up (${outcome.signal ?? `code ${outcome.code}`}); last lines of ${logFile}:\n${text}`);
    }
  } catch (err) {
    const text = tail(logFile);
    await stop();
    if (err instanceof Error && !err.message.includes('last lines')) err.message += `\nlast lines of the Kafka log:\n${text}`;
    throw err;
  }
}

async function main(argv) {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const command = dash >= 0 ? argv.slice(dash + 1) : [];
  if (own.includes('--help') || own.includes('-h')) {
    process.stdout.write(
      [
        'usage: node scripts/kafka-real.mjs [-- <command...>]',
        '',
        `Starts Apache Kafka ${kafkaVersion()} (single-node KRaft, 127.0.0.1, free ports) from Maven Central jars.`,
        'Without a command: prints {"ready":true,"kafka":"127.0.0.1:PORT"} and runs until SIGINT/SIGTERM.',
        `With a command: runs it with ${BROKERS_ENV}=<broker> in its environment, then stops Kafka`,
        "and exits with the command's exit code.",
        '',
        'Needs Java 17+ and Maven. TRIBUTARY_TEST_MAVEN_REPO overrides the local Maven repository (~/.m2/repository).',
        '',
      ].join('\n'),
    );
    return 0;
  }
  if (own.length > 0) {
    process.stderr.write(`kafka-real: unknown argument ${own[0]} (put the command after --; see --help)\n`);
    return 2;
  }
  const log = (line) => process.stderr.write(`kafka-real: ${line}\n`);
  const started = Date.now();
  let kafka;
  try {
    kafka = await startRealKafka({ log });
  } catch (err) {
    log(err instanceof KafkaRealUnavailable ? err.message : `could not start Kafka: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof KafkaRealUnavailable ? 3 : 1;
  }
  log(`started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const broker = kafka.brokers.join(',');
  let signalled = null;
  if (command.length === 0) {
    process.stdout.write(`${JSON.stringify({ ready: true, kafka: broker, version: kafka.version })}\n`);
    signalled = await new Promise((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    await kafka.stop();
    return 0;
  }
  log(`running ${command.join(' ')} with ${BROKERS_ENV}=${broker}`);
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, [BROKERS_ENV]: broker } });
  const forward = (sig) => {
    signalled = sig;
    if (child.exitCode === null) child.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise((resolve) => {
    child.once('error', (err) => {
      log(`could not run ${command[0]}: ${err.message}`);
      resolve(127);
    });
    child.once('exit', (c, sig) => resolve(c ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0)));
  });
  await kafka.stop();
  log(`stopped Kafka${signalled ? ` after ${signalled}` : ''}; the command exited ${code}`);
  return code;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
