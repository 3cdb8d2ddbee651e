import type { Baselines, BenchSizes, Figure } from '../harness.js';
import type { OnrampServer } from '../onramp.js';
import type { BenchPki } from '../support.js';
import type { BenchTenant } from '../tenant.js';

/** What every scenario gets: sizes, the same-run baselines, dev certificates and a scratch folder. */
export interface ScenarioContext {
  sizes: BenchSizes;
  baselines: Baselines;
  pki: BenchPki;
  workDir: string;
  postgres: boolean;
  /**
   * The long-lived SQLite server that scenarios 1, 3 and 5 load, so scenario 6 can read its memory
   * after them with the tracked users in place.
   */
  main: OnrampServer;
  /** The tenant simulator: Graph for scenarios 2 and 4 (`graphEnv` points an onramp server at it). */
  tenant: BenchTenant;
  /** API token for `main`, once its tracked users are uploaded (see `mainToken()` in upload.ts). */
  mainToken?: string;
}

export type Scenario = (ctx: ScenarioContext) => Promise<Figure[]>;
