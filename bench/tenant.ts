/**
 * The bench's Microsoft 365 tenant: onramp's own tenant simulator, in this process, and the settings
 * that point an onramp server's Graph client at it (trusting its CA for that traffic only).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    graphEnv: {
      ONRAMP_GRAPH_TENANT_ID: sim.tenantId,
      ONRAMP_GRAPH_CLIENT_ID: sim.clientId,
      ONRAMP_GRAPH_CLIENT_SECRET: sim.clientSecret,
      ONRAMP_GRAPH_CREDENTIAL: 'clientSecret',
      ONRAMP_GRAPH_AUTHORITY_HOST: sim.authorityHost,
      ONRAMP_GRAPH_DISABLE_INSTANCE_DISCOVERY: 'true',
      ONRAMP_GRAPH_BASE_URL: sim.url,
      ONRAMP_EXCHANGE_BASE_URL: sim.url,
      ONRAMP_GRAPH_CA_FILE: caFile,
      ONRAMP_ONBOARDING_MFA_GROUP_ID: sim.mfaGroupId,
    },
    stop: () => sim.stop(),
  };
}
