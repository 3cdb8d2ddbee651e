/**
 * A running tenant simulator plus onramp's production Graph/Exchange clients pointed at it, for any
 * test that needs Microsoft Graph. Always `await t.stop()` (e.g. in `after`).
 *
 *   const t = await startTestTenant({ users: 50 });
 *   const users = await t.graph.getUsersByUpn([...]);
 *   t.sim.control.setMfa(upn, true); t.sim.control.mail();
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { graphConfig } from '../../src/graph/graph.config.js';
import { pointAtSimulator } from '../../src/demo.js';
import { simulatorEnv as simulatorEnvFor } from '../../src/simulator/sim-env.js';
import { createGraphClients, type GraphClients, type GraphConfig } from '../../src/graph/graph-client.js';
import type { ExchangePort, GraphPort } from '../../src/graph/graph-port.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/index.js';

export interface TestTenant {
  sim: RunningSimulator;
  graph: GraphPort;
  exchange: ExchangePort;
  /** The `graph` config section that points at this simulator (for startOnramp overrides). */
  config: GraphConfig;
  /** Another set of clients on the same simulator, e.g. with other settings. */
  clients(overrides?: Partial<GraphConfig>, material?: { certificatePem?: string }): GraphClients;
  stop(): Promise<void>;
}

/** Config section for a simulator: secret credential, its authority, instance discovery off, fast retries. */
export function simulatorGraphConfig(sim: RunningSimulator, overrides: Partial<GraphConfig> = {}): GraphConfig {
  const defaults = Value.Default(graphConfig, {}) as GraphConfig;
  return { ...pointAtSimulator(defaults, sim), maxRetryMs: 30_000, ...overrides };
}

/**
 * Environment that points onramp (loadConfig, or a spawned CLI) at this simulator, as `onramp sim`
 * prints it; the simulator's CA is written into `dir` for ONRAMP_GRAPH_CA_FILE.
 */
export function simulatorEnv(sim: RunningSimulator, dir: string): Record<string, string> {
  const caFile = join(dir, 'simulator-ca.pem');
  writeFileSync(caFile, sim.caPem);
  return simulatorEnvFor(sim, caFile);
}

export async function startTestTenant(options: SimulatorOptions & { graph?: Partial<GraphConfig> } = {}): Promise<TestTenant> {
  const sim = await startSimulator({ users: 50, ...options });
  const opened: GraphClients[] = [];
  const clients = (overrides: Partial<GraphConfig> = {}, material: { certificatePem?: string } = {}) => {
    const c = createGraphClients(simulatorGraphConfig(sim, { ...options.graph, ...overrides }), { caPem: sim.caPem, ...material });
    opened.push(c);
    return c;
  };
  const main = clients();
  return {
    sim,
    graph: main.graph,
    exchange: main.exchange,
    config: simulatorGraphConfig(sim, options.graph),
    clients,
    async stop() {
      for (const c of opened) await c.close();
      await sim.stop();
    },
  };
}
