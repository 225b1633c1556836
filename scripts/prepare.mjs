// Runs on `npm ci` / `npm install` (the `prepare` script): builds packages/sandbox/dist/ and dist/, each when it is
// missing or older than its sources, then links the `tributary` command into node_modules/.bin so `npx tributary` finds it.
// Skipping an up-to-date build keeps `npx tributary`'s own self-install of this folder quick.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestMtimeMs(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** Runs `tsc -p <project>` when `built` is missing or older than any of `inputs`. */
function buildIfStale(built, inputs, project) {
  const stale = !existsSync(built) || Math.max(...inputs.map(newestMtimeMs)) > statSync(built).mtimeMs;
  if (!stale) return;
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) {
    console.error(`tributary: ${relative(root, dirname(built)) || '.'}/ is missing or stale and TypeScript is not installed; run \`npm ci\` (with dev dependencies) to build`);
    process.exit(1);
  }
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}

// The sandbox workspace package first: the product's build compiles against its dist/ declarations, and
// `tributary demo` / `tributary sandbox` import its dist/ at run time.
const sandbox = join(root, 'packages', 'sandbox');
buildIfStale(
  join(sandbox, 'dist', 'index.js'),
  [join(sandbox, 'src'), join(sandbox, 'package.json'), join(sandbox, 'tsconfig.build.json'), join(root, 'tsconfig.json')],
  join(sandbox, 'tsconfig.build.json'),
);
buildIfStale(
  join(root, 'dist', 'main.js'),
  [join(root, 'src'), join(root, 'tsconfig.json'), join(root, 'tsconfig.build.json')],
  join(root, 'tsconfig.build.json'),
);
await import('./link-bin.mjs');
