/**
 * `serve --demo`: the one place that wires the in-process tenant simulator into onramp. Features never
 * see the simulator; they get a `DemoTenant` on the context (sign-in, the Mailbox screen, the shared
 * mailbox, registration events) and Graph clients pointed at it, the same production clients a real
 * tenant gets.
 */
import type { DemoTenant } from './context.js';
import type { OnrampConfig } from './onramp-config.js';
import type { GraphConfig } from './graph/graph-client.js';
import type { GraphConnection } from './graph/connect.js';
import type { Logger } from './lib/logger.js';
import { onboardingConfig } from './onboarding/onboarding.config.js';
import type { SignatureStore } from './signatures/store.js';
import type { RunningSimulator } from './simulator/index.js';

/** Users in the tenant `serve --demo` simulates. */
export const DEMO_TENANT_USERS = 200;

export interface DemoStart {
  graph: GraphConnection;
  simulator: RunningSimulator;
  demoTenant: DemoTenant;
  /** The configuration with the simulated tenant's settings filled in (see `withDemoTenant`). */
  config: OnrampConfig;
}

/**
 * Starts a tenant simulator in-process (its CA under dataDir/simulator) and points the Graph clients at
 * it, trusting its CA for that traffic only. Loaded only in the demo, so other starts stay quick.
 */
export async function startDemoTenant(config: OnrampConfig, log: Logger): Promise<DemoStart> {
  const [{ startSimulator }, { createGraphClients }] = await Promise.all([import('./simulator/index.js'), import('./graph/graph-client.js')]);
  const simulator = await startSimulator({ users: DEMO_TENANT_USERS, dataDir: config.dataDir });
  const clients = createGraphClients(pointAtSimulator(config.graph, simulator), { caPem: simulator.caPem });
  log.info({ url: simulator.url, tenantId: simulator.tenantId, users: DEMO_TENANT_USERS }, 'demo: tenant simulator started');
  // As in Microsoft's tenants, roaming signatures start on, so the signature deployment shows them blocking it.
  log.info(
    `demo: roaming signatures are on in the simulated tenant, so web signature pushes are reported blocked; ` +
      `the stand-in for Set-OrganizationConfig -PostponeRoamingSignaturesUntilLater $true is PUT ${simulator.url}/_sim/organization {"postponeRoamingSignaturesUntilLater": true}`,
  );
  return {
    simulator,
    demoTenant: demoTenantOf(simulator),
    config: withDemoTenant(config, simulator),
    graph: {
      graph: clients.graph,
      exchange: clients.exchange,
      configured: true,
      close: async () => {
        await clients.close();
        await simulator.stop();
      },
    },
  };
}

/** What the features may know of a running simulator. */
export function demoTenantOf(sim: RunningSimulator): DemoTenant {
  return {
    url: sim.url,
    signIn: { issuer: `${sim.url}/${sim.tenantId}/v2.0`, clientId: sim.clientId, clientSecret: sim.clientSecret, caPem: sim.caPem },
    sharedMailbox: sim.sharedMailbox,
    adminName: [...sim.control.tenant.users.values()].find((u) => u.appRoles.includes('Onramp.Admin'))?.displayName ?? 'the account marked Onramp.Admin',
    receivedMail: () => sim.control.mail(),
    onRegistration: (listener) => sim.control.onMethodsChanged(listener),
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

/** The demo's first signature: photo, name, title and department, a mobile line only for those who have one. */
const DEMO_SIGNATURE = `<table cellpadding="0" cellspacing="0" style="font-family:Segoe UI, Arial;font-size:10pt;color:#333333">
  <tr>
    <td valign="top" style="padding-right:12px"><img src="{{ photo.user }}" width="72" height="72" alt="{{ user.displayName }}"></td>
    <td valign="top">
      <b style="color:#0078d4">{{ user.displayName }}</b><br>
      <span data-onramp-if>{{ user.jobTitle }} · {{ user.department }}<br></span>
      <span data-onramp-if="user.mobilePhone">Mobile: <a href="tel:{{ user.mobilePhone | phone: "e164" }}">{{ user.mobilePhone | phone }}</a><br></span>
      <a href="mailto:{{ user.mail }}">{{ user.mail }}</a><br>
      {{ user.companyName | default: "Contoso" }}
    </td>
  </tr>
</table>
`;

/**
 * A first template and a rule giving it to everyone, so the demo's signature screens, previews and
 * pushes have something to show. Only into an empty store: an admin's own templates are never touched.
 */
export async function seedDemoSignatures(store: SignatureStore): Promise<void> {
  if ((await store.listTemplates()).length > 0) return;
  const template = await store.createTemplate(
    { name: 'Contoso standard', description: "The demo's first signature; edit it or add your own.", source: DEMO_SIGNATURE },
    'demo',
  );
  await store.createRule(
    { name: 'Everyone', enabled: true, kind: 'signature', templateId: template.id, defaults: 'both', conditions: {}, exclusions: {}, window: null },
    'demo',
  );
}
