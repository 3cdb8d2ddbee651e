import type { Logger } from '../lib/logger.js';
import type { GraphConfig } from './graph-client.js';
import type { ExchangePort, GraphPort } from './graph-port.js';
import { notConfiguredGraph } from './not-configured.js';

/** Connects to the tenant a configuration names (the CLI's commands take one, so tests can pass their own). */
export type GraphConnector = (config: GraphConfig) => Promise<Pick<GraphConnection, 'graph' | 'close'>>;

export interface GraphConnection {
  graph: GraphPort;
  exchange: ExchangePort;
  /** False when no tenant is configured: the ports then fail every call with "not configured". */
  configured: boolean;
  close(): Promise<void>;
}

/**
 * The Graph/Exchange clients onramp runs with, for the configured tenant (`serve --demo` points them at
 * its simulator instead: src/demo.ts). The HTTP client (and @azure/identity) is loaded only when used,
 * so starts without Graph stay quick.
 */
export async function connectGraph(config: GraphConfig, log: Logger): Promise<GraphConnection> {
  if (!isGraphConfigured(config)) {
    log.warn('Microsoft Graph is not configured (graph.tenantId, graph.clientId, credential): features that need it will report so');
    return { graph: notConfiguredGraph, exchange: notConfiguredGraph, configured: false, close: async () => {} };
  }
  const { createGraphClients } = await import('./graph-client.js');
  return { ...(await createGraphClients(config)), configured: true };
}

/** Enough settings to get a token: a tenant, and a client id with its secret or certificate (or a managed identity). */
export function isGraphConfigured(graph: GraphConfig, material: { certificatePem?: string } = {}): boolean {
  if (!graph.tenantId) return false;
  if (graph.credential === 'managedIdentity') return true;
  if (!graph.clientId) return false;
  return graph.credential === 'clientSecret' ? !!graph.clientSecret : !!(graph.certificatePath || material.certificatePem);
}
