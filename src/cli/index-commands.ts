import { registerCommand } from './index.js';

registerCommand('run', 'consume the partner topics and deliver to Braze (real Kafka and Braze)', async () => (await import('./run.js')).runCommand);
registerCommand('demo', 'the whole pipeline on the embedded sandbox with sample data (what `npm start` runs)', async () => (await import('./demo.js')).demoCommand);
registerCommand('sandbox', 'start the embedded sandbox: `sandbox` (Kafka + Schema Registry + Braze) or `sandbox kafka`', async () => (await import('./sandbox.js')).sandboxCommand);
registerCommand('config', '`config check`: validate configuration and environment, listing every problem', async () => (await import('./config.js')).configCommand);
registerCommand('status', 'the consumer group\'s committed offsets, lag and members per topic and partition, and the dead-letter count', async () => (await import('./status.js')).statusCommand);
registerCommand('schemas', '`schemas register`: register schemas/*.avsc with the registry; `schemas check`: check their compatibility with what is registered', async () => (await import('./schemas.js')).schemasCommand);
