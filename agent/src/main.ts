#!/usr/bin/env node
/**
 * The agent's entry point (the Windows executable is built from this file): see cli.ts for the commands.
 * No top-level await: a Node single-executable application runs a CommonJS bundle.
 */
import { runCli } from './cli.js';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
void runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signal: stop.signal,
}).then((code) => {
  process.exitCode = code;
});
