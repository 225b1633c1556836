// npm does not link a package's own bin into its own node_modules/.bin, so `npx tributary`
// inside a fresh clone would not find it. Link it here (run from `prepare`, after `npm ci`).
import { mkdirSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');
if (!existsSync(join(root, 'node_modules'))) process.exit(0); // installed as a dependency: npm links bins itself
mkdirSync(binDir, { recursive: true });
const target = join(binDir, 'tributary');
rmSync(target, { force: true });
symlinkSync(relative(binDir, join(root, 'bin', 'tributary.js')), target);
