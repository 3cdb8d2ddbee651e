/**
 * onramp as users run it: the real CLI (`onramp serve`) in a child process, on the embedded SQLite
 * default or on PostgreSQL in a private schema that is dropped afterwards.
 */
import pg from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { POSTGRES_URL } from './baselines.js';
import { freePort, ROOT, runBuilt, waitReady, type BenchPki, type ChildServer } from './support.js';

export interface OnrampServer {
  url: string;
  devicePort: number;
  dataDir: string;
  env: Record<string, string>;
  server: ChildServer;
  stop(): Promise<void>;
}

export interface OnrampServerOptions {
  workDir: string;
  name: string;
  postgres?: boolean;
  /** Turns the device listener on with the bench CA's server certificate and trust anchor. */
  pki?: BenchPki;
  env?: Record<string, string>;
}

/**
 * Device gateway settings for a load test: the bench CA, and throttles raised far above the offered
 * load so the figure measures the gateway's work (the buckets are still checked on every request),
 * not its refusals.
 */
function deviceEnv(pki: BenchPki): Record<string, string> {
  return {
    ONRAMP_DEVICE_SERVER_CERT_FILE: pki.serverCertFile,
    ONRAMP_DEVICE_SERVER_KEY_FILE: pki.serverKeyFile,
    ONRAMP_DEVICE_TRUST_ANCHORS_FILE: pki.caFile,
    ONRAMP_DEVICE_IDENTITY_RATE: '1000000',
    ONRAMP_DEVICE_IDENTITY_BURST: '1000000',
    ONRAMP_DEVICE_IP_RATE: '1000000',
    ONRAMP_DEVICE_IP_BURST: '1000000',
  };
}

export async function startOnrampServer(options: OnrampServerOptions): Promise<OnrampServer> {
  const dataDir = join(options.workDir, options.name);
  mkdirSync(dataDir, { recursive: true });
  const [publicPort, devicePort] = [await freePort(), await freePort()];
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    ONRAMP_DATA_DIR: dataDir,
    ONRAMP_PUBLIC_HOST: '127.0.0.1',
    ONRAMP_PUBLIC_PORT: String(publicPort),
    ONRAMP_DEVICE_HOST: '127.0.0.1',
    ONRAMP_DEVICE_PORT: String(devicePort),
    // Per-request info lines would measure the log pipe, not onramp; production runs at warn or info
    // with its own log shipping.
    ONRAMP_LOG_LEVEL: 'warn',
    ...(options.postgres ? { ONRAMP_DATABASE_URL: POSTGRES_URL, ONRAMP_DATABASE_SCHEMA: schema } : {}),
    ...(options.pki ? deviceEnv(options.pki) : {}),
    ...options.env,
  };
  const server = runBuilt('cli.js', ['serve'], env);
  const url = `http://127.0.0.1:${publicPort}`;
  try {
    await waitReady(`${url}/healthz`, server, {}, 60_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url,
    devicePort,
    dataDir,
    env,
    server,
    stop: async () => {
      await server.stop();
      if (options.postgres) {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          await client.query(`drop schema if exists ${schema} cascade`);
        } finally {
          await client.end();
        }
      }
    },
  };
}

/** Runs an onramp CLI command to completion with the server's environment (same database). */
export function runOnrampCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 600_000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // Asynchronous, so a slow CLI start-up can overlap other set-up work.
  const child = spawn(process.execPath, [join(ROOT, 'dist/cli.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Creates an API token through the CLI, as an operator would, against the server's database. */
export async function createApiToken(server: OnrampServer, role: 'admin' | 'viewer' = 'admin'): Promise<string> {
  const r = await runOnrampCli(['token', 'create', '--name', `bench-${randomBytes(3).toString('hex')}`, '--role', role], server.env, 120_000);
  const token = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || token.length < 16) throw new Error(`onramp token create failed (${r.status}): ${r.stderr}`);
  return token;
}
