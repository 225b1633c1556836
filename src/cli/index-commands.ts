import { registerCommand } from './index.js';

registerCommand('run', 'consume the partner topics and deliver to Braze (real Kafka and Braze)', async () => (await import('./run.js')).runCommand);
registerCommand('demo', 'the whole pipeline on the embedded sandbox with sample data (what `npm start` runs)', async () => (await import('./demo.js')).demoCommand);
registerCommand('sandbox', 'start the embedded sandbox: `sandbox` (Kafka + Schema Registry + Braze) or `sandbox kafka`', async () => (await import('./sandbox.js')).sandboxCommand);
registerCommand('config', '`config check`: validate configuration and environment, listing every problem', async () => (await import('./config.js')).configCommand);
registerCommand('replay', 'deliver a range of a topic again (time or offsets), without touching the live group; events skipped unless --events send', async () => (await import('./replay.js')).replayCommand);
registerCommand('dlq', '`dlq inspect`: dead letters grouped by code, masked; `dlq redrive`: send them through the pipeline again', async () => (await import('./dlq.js')).dlqCommand);
registerCommand('status', 'the consumer group\'s committed offsets, lag and members per topic and partition, and the dead-letter count', async () => (await import('./status.js')).statusCommand);
registerCommand('schemas', '`schemas register`: register schemas/*.avsc with the registry; `schemas check`: check their compatibility with what is registered', async () => (await import('./schemas.js')).schemasCommand);
