/** Scenario 6: RSS of the server holding 100,000 tracked users after scenarios 1–5 (≤ 150 MiB, issue 23). */
import { figure, type Figure, type Target } from '../harness.js';
import type { ScenarioContext } from './context.js';
import { mainToken } from './upload.js';

const TARGET: Target = { op: '<=', value: 150 };

export async function memoryScenario(ctx: ScenarioContext): Promise<Figure[]> {
  await mainToken(ctx);
  const metric = `server RSS with ${ctx.sizes.uploadRows.toLocaleString('en-US')} tracked users`;
  return [figure('6 memory', metric, 'MiB', [ctx.main.server.rssMiB()], TARGET, null)];
}
