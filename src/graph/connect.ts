import type { OnrampConfig } from '../onramp-config.js';
import type { Logger } from '../lib/logger.js';
import { onboardingConfig } from '../onboarding/onboarding.config.js';
import type { RunningSimulator } from '../simulator/index.js';
import type { GraphConfig } from './graph-client.js';
import type { ExchangePort, GraphPort } from './graph-port.js';
import { notConfiguredGraph } from './not-configured.js';

/**
 * The environment that points an onramp process at a running simulator (what `onramp sim` prints, and
 * what tests and the bench give the processes they spawn); `caFile` holds the simulator's CA.
 */
export function simulatorEnv(sim: Pick<RunningSimulator, 'tenantId' | 'clientId' | 'clientSecret' | 'authorityHost' | 'url' | 'mfaGroupId'>, caFile: string): Record<string, string> {
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

/** `base` with its tenant, app credential, authority and endpoints those of a running simulator. */
export function pointAtSimulator(base: GraphConfig, sim: RunningSimulator): GraphConfig {
  return {
    ...base,
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    credential: 'clientSecret',
    authorityHost: sim.authorityHost,
    disableInstanceDiscovery: true,
    baseUrl: sim.url,
    exchangeBaseUrl: sim.url,
  };
}

/**
 * The demo's settings from its simulated tenant, unless configured: the tenant's MFA group, and its
 * security-info page as the enrol redirect (https://aka.ms/mfasetup cannot record anything there).
 */
export function withDemoTenant(config: OnrampConfig, sim: Pick<RunningSimulator, 'mfaGroupId' | 'mfaSetupUrl'>): OnrampConfig {
  const onboarding = config.onboarding;
  return {
    ...config,
    onboarding: {
      ...onboarding,
      mfaGroupId: onboarding.mfaGroupId || sim.mfaGroupId,
      enrolRedirectUrl: onboarding.enrolRedirectUrl === DEFAULT_ENROL_REDIRECT_URL ? sim.mfaSetupUrl : onboarding.enrolRedirectUrl,
    },
  };
}

const DEFAULT_ENROL_REDIRECT_URL = onboardingConfig.properties.enrolRedirectUrl.default as string;

/** Users in the tenant `serve --demo` simulates. */
export const DEMO_TENANT_USERS = 200;

export interface GraphConnection {
  graph: GraphPort;
  exchange: ExchangePort;
  simulator?: RunningSimulator;
  /** False when no tenant is configured: the ports then fail every call with "not configured". */
  configured: boolean;
  close(): Promise<void>;
}

/**
 * The Graph/Exchange clients onramp runs with. In demo mode, unless a real tenant is configured, a
 * tenant simulator starts in-process (its CA under dataDir/simulator) and the clients point at it,
 * trusting its CA for that traffic only. The HTTP client (and @azure/identity) and the simulator are
 * loaded only when used, so starts without Graph stay quick.
 */
export async function connectGraph(config: OnrampConfig, options: { demo: boolean; log: Logger }): Promise<GraphConnection> {
  if (options.demo && !config.graph.tenantId) {
    const [{ startSimulator }, { createGraphClients }] = await Promise.all([import('../simulator/index.js'), import('./graph-client.js')]);
    const sim = await startSimulator({ users: DEMO_TENANT_USERS, dataDir: config.dataDir });
    const clients = createGraphClients(pointAtSimulator(config.graph, sim), { caPem: sim.caPem });
    options.log.info({ url: sim.url, tenantId: sim.tenantId, users: DEMO_TENANT_USERS }, 'demo: tenant simulator started');
    return {
      graph: clients.graph,
      exchange: clients.exchange,
      simulator: sim,
      configured: true,
      close: async () => {
        await clients.close();
        await sim.stop();
      },
    };
  }
  if (!isGraphConfigured(config.graph)) {
    options.log.warn('Microsoft Graph is not configured (graph.tenantId, graph.clientId, credential): features that need it will report so');
    return { graph: notConfiguredGraph, exchange: notConfiguredGraph, configured: false, close: async () => {} };
  }
  const { createGraphClients } = await import('./graph-client.js');
  return { ...(await createGraphClients(config.graph)), configured: true };
}

/** Enough settings to get a token: a tenant, and a client id with its secret or certificate (or a managed identity). */
export function isGraphConfigured(graph: GraphConfig, material: { certificatePem?: string } = {}): boolean {
  if (!graph.tenantId) return false;
  if (graph.credential === 'managedIdentity') return true;
  if (!graph.clientId) return false;
  return graph.credential === 'clientSecret' ? !!graph.clientSecret : !!(graph.certificatePath || material.certificatePem);
}
