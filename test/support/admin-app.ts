/**
 * The public app as the admin API's tests use it: a config that proves redaction and CORS, a relay
 * nobody listens on (so "send report now" must answer that mail failed), and an admin and a viewer API
 * token. Shared by src/onboarding/admin.routes.test.ts and src/portal/portal.test.ts.
 */
import { buildPublicApp } from '../../src/app.js';
import { AuthService } from '../../src/auth/auth.service.js';
import { loadConfig } from '../../src/onramp-config.js';
import type { OnrampContext } from '../../src/context.js';
import { ManualClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import type { TestStorage } from './storage.js';

export async function adminApp(storage: TestStorage, extra: Partial<OnrampContext> = {}, env: Record<string, string> = {}) {
  const clock = new ManualClock(new Date());
  const config = loadConfig({
    env: {
      ONRAMP_CONFIG_FILE: '/nonexistent/onramp.json',
      ONRAMP_AUTH_COOKIE_SECURE: 'false',
      ONRAMP_PORTAL_ALLOWED_ORIGINS: 'https://admin.example.org',
      ONRAMP_DATABASE_URL: 'postgres://u:hunter2@db.example/x',
      // A relay nobody listens on: "send report now" must say mail failed, not fail with a 500.
      ONRAMP_SMTP_HOST: '127.0.0.1',
      ONRAMP_SMTP_PORT: '9',
      ...env,
    },
  });
  // The database URL above is only there to prove the settings view redacts it; storage is the test's.
  const ctx: OnrampContext = { config, storage, log: createLogger('silent'), clock, demo: false, instanceId: 'test', ...extra };
  const app = await buildPublicApp(ctx);
  const auth = new AuthService(storage.db, config.auth, clock);
  const admin = (await auth.createApiToken('ops', 'admin', 'test')).token;
  const viewer = (await auth.createApiToken('board', 'viewer', 'test')).token;
  return { app, ctx, storage, as: (t: string) => ({ authorization: `Bearer ${t}` }), admin, viewer };
}
