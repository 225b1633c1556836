// Runs on `npm ci` / `npm install` (the `prepare` script): builds dist/ when it is missing or older than the
// sources, then links the `tributary` command into node_modules/.bin so `npx tributary` finds it.
// Skipping an up-to-date build keeps `npx tributary`'s own self-install of this folder quick.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestMtimeMs(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

const built = join(root, 'dist', 'main.js');
const inputs = [join(root, 'src'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')];
const stale = !existsSync(built) || Math.max(...inputs.map(newestMtimeMs)) > statSync(built).mtimeMs;
if (stale) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    console.error('tributary: dist/ is missing or stale and TypeScript is not installed; run `npm ci` (with dev dependencies) to build');
    process.exit(1);
  }
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
await import('./link-bin.mjs');
