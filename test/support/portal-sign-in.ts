/**
 * Signing in to the portal with Microsoft, as an admin would, against the tenant simulator: onramp's
 * OIDC configuration for it, and the clicks through its account page. For the browser tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadConfig, type OnrampConfig } from '../../src/onramp-config.js';
import type { TestTenant } from './simulator.js';

/**
 * The configuration of an instance whose only sign-in is the simulated tenant's OIDC (no local admin,
 * cookies over plain HTTP). onramp trusts the simulator's CA through the setting production would use.
 * `env` adds settings (a function of the CA file's path when another setting needs it, such as Graph's
 * CA); `cleanup` removes the CA file.
 */
export function oidcConfig(
  tenant: TestTenant,
  env: Record<string, string> | ((caFile: string) => Record<string, string>) = {},
): { config: OnrampConfig; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'onramp-oidc-'));
  const caFile = join(dir, 'sim-ca.pem');
  writeFileSync(caFile, tenant.sim.caPem);
  const config = loadConfig({
    env: {
      ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
      ONRAMP_AUTH_COOKIE_SECURE: 'false',
      ONRAMP_AUTH_LOCAL_ADMIN: 'false',
      ONRAMP_OIDC_ISSUER: `${tenant.sim.url}/${tenant.sim.tenantId}/v2.0`,
      ONRAMP_OIDC_CLIENT_ID: tenant.sim.clientId,
      ONRAMP_OIDC_CLIENT_SECRET: tenant.sim.clientSecret,
      ONRAMP_OIDC_CA_FILE: caFile,
      ...(typeof env === 'function' ? env(caFile) : env),
    },
  });
  return { config, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Clicks "Sign in with Microsoft" and picks `name` on the simulator's account page; the portal opens on Reports. */
export async function signInWithMicrosoft(page: Page, base: string, name: string): Promise<void> {
  await page.goto(base + '/');
  await page.getByRole('link', { name: 'Sign in with Microsoft' }).click();
  await page.getByRole('heading', { name: 'Sign in (simulated tenant)' }).waitFor();
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name: 'Reports' }).waitFor();
}
