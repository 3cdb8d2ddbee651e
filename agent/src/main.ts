#!/usr/bin/env node
/** The agent's entry point (the Windows executable is built from this file): see cli.ts for the commands. */
import { runCli } from './cli.js';

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
// No top-level await: the Windows executable runs this as CommonJS (Node's single executable applications).
void runCli(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signal: stop.signal,
}).then((code) => {
  process.exitCode = code;
});
