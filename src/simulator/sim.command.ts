import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

function int(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

function num(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${value}"`);
    return n;
  };
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--client-certificate: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

interface SimOptions {
  users: number;
  seed: number;
  port: number;
  host: string;
  tenant?: string;
  latency: number;
  throttle: number;
  failureRate: number;
  exchangeConcurrency: number;
  roamingSignatures: boolean;
  clientCertificate: string[];
}

/** `onramp sim`: the tenant simulator standalone, printing the settings that point onramp at it. */
export function registerSimCommand(program: Command, dataDir: () => string): void {
  program
    .command('sim')
    .description('run the tenant simulator (Microsoft identity platform, Graph and Exchange admin API shapes) on loopback HTTPS')
    .option('--users <n>', 'size of the generated tenant', int('--users', 1, 200_000), 1000)
    .option('--seed <n>', 'seed of the generated tenant (same seed, same tenant)', int('--seed', 0, 2 ** 31), 1)
    .option('--tenant <file>', 'load the tenant from a JSON file instead of generating it')
    .option('--port <n>', 'port (0 picks a free one)', int('--port', 0, 65535), 0)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--latency <ms>', 'latency added to each Graph/Exchange request', int('--latency', 0, 60_000), 0)
    .option('--throttle <rps>', 'requests per second per app before 429 (0 = off)', num('--throttle', 0, 1_000_000), 0)
    .option('--failure-rate <f>', 'fraction of Graph/Exchange requests answered 503', num('--failure-rate', 0, 1), 0)
    .option(
      '--exchange-concurrency <n>',
      'Exchange InvokeCommand calls in flight per app before 429 (0 = unlimited; Exchange Online: 9)',
      int('--exchange-concurrency', 0, 10_000),
      0,
    )
    .option(
      '--no-roaming-signatures',
      'start with roaming signatures off (PostponeRoamingSignaturesUntilLater $true), so Set-MailboxMessageConfiguration takes effect',
    )
    .option(
      '--client-certificate <file>',
      'PEM certificate to register on the app for certificate credentials (repeatable; also POST /_sim/app/certificates)',
      (file: string, list: string[]) => [...list, readPem(file)],
      [] as string[],
    )
    .action(async (o: SimOptions) => {
      // Loaded here so other commands do not pay for the simulator's modules.
      const { startSimulator } = await import('./index.js');
      const { simulatorEnv } = await import('./sim-env.js');
      const sim = await startSimulator({
        users: o.users,
        seed: o.seed,
        tenantFile: o.tenant,
        port: o.port,
        host: o.host,
        dataDir: dataDir(),
        faults: { latencyMs: o.latency, throttlePerSecond: o.throttle, failureRate503: o.failureRate, exchangeMaxConcurrency: o.exchangeConcurrency },
        roamingSignatures: o.roamingSignatures,
        clientCertificates: o.clientCertificate,
      });
      const caPath = `${dataDir()}/simulator/ca.pem`;
      process.stdout.write(
        [
          '',
          `  tenant simulator listening on ${sim.url}  (${sim.control.tenant.users.size} users)`,
          `  CA certificate (trust it for simulator traffic only): ${caPath}`,
          '',
          '  Point onramp at it with:',
          ...Object.entries(simulatorEnv(sim, caPath)).map(([name, value]) => `    ${name}=${value}`),
          `    shared mailbox: ${sim.sharedMailbox}`,
          '',
          `  Sign-in (OIDC): ${sim.url}/${sim.tenantId}/v2.0/.well-known/openid-configuration`,
          `  Control: GET ${sim.url}/_sim/mail, GET|PUT ${sim.url}/_sim/faults, POST ${sim.url}/_sim/users/{upn}/mfa, GET ${sim.url}/_sim/stats`,
          `  Roaming signatures are ${o.roamingSignatures ? 'on (web signatures set by onramp have no effect)' : 'off'}: PUT ${sim.url}/_sim/organization {"postponeRoamingSignaturesUntilLater": true} turns them off`,
          `  Certificate credentials: --client-certificate cert.pem, or POST ${sim.url}/_sim/app/certificates {"certificate":"<PEM>"}` +
            (o.clientCertificate.length > 0 ? ` (${o.clientCertificate.length} registered)` : ''),
          '  Stop with Ctrl+C.',
          '',
        ].join('\n') + '\n',
      );
      const stop = () => {
        sim.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
