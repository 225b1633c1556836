#!/usr/bin/env node
import { runCli } from './cli/index.js';
import './cli/index-commands.js';

const code = await runCli(process.argv.slice(2));
if (typeof code === 'number') process.exitCode = code;
// Sandbox servers and clients may hold handles briefly after a clean stop; do not linger.
if (code !== undefined) setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
