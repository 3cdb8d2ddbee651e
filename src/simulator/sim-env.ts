import type { RunningSimulator } from './index.js';

/**
 * The environment that points an onramp process at a running simulator (what `onramp sim` prints, and
 * what tests and the bench give the processes they spawn); `caFile` holds the simulator's CA.
 */
export function simulatorEnv(
  sim: Pick<RunningSimulator, 'tenantId' | 'clientId' | 'clientSecret' | 'authorityHost' | 'url' | 'mfaGroupId'>,
  caFile: string,
): Record<string, string> {
  return {
    ONRAMP_GRAPH_TENANT_ID: sim.tenantId,
    ONRAMP_GRAPH_CLIENT_ID: sim.clientId,
    ONRAMP_GRAPH_CLIENT_SECRET: sim.clientSecret,
    ONRAMP_GRAPH_AUTHORITY_HOST: sim.authorityHost,
    ONRAMP_GRAPH_DISABLE_INSTANCE_DISCOVERY: 'true',
    ONRAMP_GRAPH_BASE_URL: sim.url,
    ONRAMP_EXCHANGE_BASE_URL: sim.url,
    ONRAMP_GRAPH_CA_FILE: caFile,
    ONRAMP_ONBOARDING_MFA_GROUP_ID: sim.mfaGroupId,
  };
}
