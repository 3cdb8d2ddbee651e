/**
 * The bench's Microsoft 365 tenant: onramp's own tenant simulator, in this process, and the settings
 * that point an onramp server's Graph client at it (trusting its CA for that traffic only).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simulatorEnv } from '../src/simulator/sim-env.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/index.js';

export interface BenchTenant {
  sim: RunningSimulator;
  graphEnv: Record<string, string>;
  /** Enabled member accounts (not the shared mailbox), in a stable order. */
  memberUpns: string[];
  stop(): Promise<void>;
}

export async function startBenchTenant(workDir: string, users: number): Promise<BenchTenant> {
  const sim = await startSimulator({ users, seed: 7 });
  const caFile = join(workDir, 'simulator-ca.pem');
  writeFileSync(caFile, sim.caPem);
  const memberUpns = [...sim.control.tenant.users.values()]
    .filter((u) => u.accountEnabled && u.userType === 'Member' && u.userPrincipalName.toLowerCase() !== sim.sharedMailbox.toLowerCase())
    .map((u) => u.userPrincipalName);
  return {
    sim,
    memberUpns,
    graphEnv: simulatorEnv(sim, caFile),
    stop: () => sim.stop(),
  };
}
