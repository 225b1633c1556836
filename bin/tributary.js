#!/usr/bin/env node
// Executable shim: runs the compiled CLI (built by `npm run build`, which `npm ci` runs through `prepare`).
// From a source checkout without a build, it falls back to running the TypeScript through tsx, the sandbox
// package's too (its `tributary-source` export condition, as in tests).
import { existsSync } from 'node:fs';
import { register as registerHooks } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'main.js');
if (existsSync(compiled) && process.env.TRIBUTARY_FROM_SOURCE !== '1') {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const addCondition = 'export const resolve = (specifier, context, next) => '
    + "next(specifier, { ...context, conditions: [...context.conditions, 'tributary-source'] });";
  registerHooks(`data:text/javascript,${encodeURIComponent(addCondition)}`);
  await import(pathToFileURL(join(root, 'src', 'main.ts')).href);
}
