/**
 * axe-core (Deque's accessibility rules engine) in a Playwright page: the page's own script is left
 * alone (axe is evaluated through the DevTools protocol, which the pages' CSPs do not govern), and the
 * violations come back as one line each, naming the rule, its impact and the elements.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2.2 A and AA, the level the portal, the end-user pages and the emails are held to. */
export const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

interface AxeResult {
  violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }>;
}

/**
 * The page's accessibility violations. `bestPractices` adds axe's best-practice rules (landmarks,
 * one h1…), which make sense for the portal's screens and pages, not for an email's body. `exclude`
 * leaves out parts that show content the page does not author (CSS selectors), e.g. a signature preview.
 */
export async function axeViolations(page: Page, options: { bestPractices?: boolean; exclude?: string[] } = {}): Promise<string[]> {
  const loaded = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== 'undefined');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const tags = options.bestPractices === false ? WCAG_AA : [...WCAG_AA, 'best-practice'];
  const result = (await page.evaluate(
    ({ runOnly, exclude }) =>
      // biome-ignore lint/suspicious/noExplicitAny: axe is a global the evaluated source defines in the page
      (globalThis as any).axe.run(exclude.length > 0 ? { exclude: exclude.map((selector) => [selector]) } : document, {
        runOnly: { type: 'tag', values: runOnly },
        resultTypes: ['violations'],
      }),
    { runOnly: tags, exclude: options.exclude ?? [] },
  )) as AxeResult;
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
