/**
 * Processes and material the scenarios share: child processes for servers (so load generation and the
 * server under test do not share one event loop), free ports, readiness, RSS, dev certificates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { createIntermediateCa, createRootCa, issueClientCertificate, issueServerCertificate } from '../src/pki/pki.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  child: ChildProcess;
  output(): string;
  /** Resident set size of the child, in MiB (from /proc). */
  rssMiB(): number;
  /** The child's largest RSS since it started or since `resetPeakRss()`, in MiB (VmHWM). */
  peakRssMiB(): number;
  /** Starts the peak over from the current RSS (Linux: `5` written to /proc/<pid>/clear_refs). */
  resetPeakRss(): void;
  stop(): Promise<void>;
}

/** Runs a TypeScript entry point (through tsx) as a child process. */
export function runTs(script: string, args: string[], env: Record<string, string>): ChildServer {
  return runNode(['--import', 'tsx', join(ROOT, script), ...args], env);
}

/** Runs a compiled entry point under dist/, as `npm start` runs onramp (no TypeScript loader in the process). */
/** `BENCH_CPU_PROF=<dir>`: every onramp child writes a CPU profile there (NODE_OPTIONS refuses --cpu-prof). */
export function runBuilt(script: string, args: string[], env: Record<string, string>): ChildServer {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return runNode([...profile, join(ROOT, 'dist', script), ...args], env);
}

function runNode(nodeArgs: string[], env: Record<string, string>): ChildServer {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    // Keep the tail only: a long run must not grow the bench process's own memory.
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    rssMiB: () => procStatusMiB(child.pid, 'VmRSS'),
    peakRssMiB: () => procStatusMiB(child.pid, 'VmHWM'),
    resetPeakRss: () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5'),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function procStatusMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Waits until the child prints `pattern`. */
export async function waitOutput(server: ChildServer, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(server.output())) {
    if (server.child.exitCode !== null) throw new Error(`server exited (${server.child.exitCode}):\n${server.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} after ${timeoutMs} ms:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `url` answers 2xx, or fails with the child's output. */
export async function waitReady(url: string, server: ChildServer, init: RequestInit = {}, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`server exited (${server.child.exitCode}):\n${server.output()}`);
    try {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${server.output()}`);
}

export interface BenchPki {
  dir: string;
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** Root + intermediate, the trust a client needs. */
  caPem: string;
  client: { upn: string; cert: string; key: string };
}

/** A dev CA (root + intermediate), a server certificate and one client certificate with a UPN SAN. */
export async function makePki(dir: string, upn: string): Promise<BenchPki> {
  const root = await createRootCa('onramp bench root CA');
  const issuing = await createIntermediateCa(root, 'onramp bench issuing CA');
  const server = await issueServerCertificate(issuing, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const client = await issueClientCertificate(issuing, { upn, keyType: 'ec' });
  const caPem = root.certPem + issuing.certPem;
  const files = {
    caFile: join(dir, 'ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server.key'),
  };
  writeFileSync(files.caFile, root.certPem);
  // The server sends its intermediate so clients trusting only the root can build the chain.
  writeFileSync(files.serverCertFile, server.certPem + issuing.certPem);
  writeFileSync(files.serverKeyFile, server.keyPem);
  writeFileSync(join(dir, 'ca-bundle.pem'), caPem);
  return {
    dir,
    ...files,
    caPem,
    // The client sends its chain too, as devices with an intermediate-issued certificate do.
    client: { upn, cert: client.certPem + issuing.certPem, key: client.keyPem },
  };
}

/** One request over mTLS with the bench client certificate (probes and correctness checks). */
export async function mtlsRequest(pki: BenchPki, url: string, method: 'GET' | 'POST', body?: unknown): Promise<{ status: number; text: string }> {
  const dispatcher = new Agent({ connect: { ca: pki.caPem, cert: pki.client.cert, key: pki.client.key } });
  try {
    const res = await request(url, {
      method,
      dispatcher,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await dispatcher.close();
  }
}
