/**
 * Scenario 14: the Outlook add-in's signature fetch (issue 20): `GET /api/addin/signatures` with a
 * valid Entra ID access token (minted by the tenant simulator, checked against its keys as Entra's
 * are) over HTTP keep-alive, ≥ 5,000 req/s, next to the bare Fastify GET of the same run. onramp runs
 * as `onramp serve` with Graph pointed at the simulator (the directory copy the planner reads) and one
 * template and rule made through the admin API, so each answer is the store's planner's rendered set.
 * Every user's first answer (an RSA check and a planning) happens before the load; the load then
 * measures the steady state, the verified-token and planned-set caches answering.
 */
import { assertClean, figure, load, repeat, warmUp, type Figure, type LoadRequest, type Target } from '../harness.js';
import { createApiToken, startOnrampServer } from '../onramp.js';
import type { ScenarioContext } from './context.js';

const RPS: Target = { op: '>=', value: 5_000 };
const SCENARIO = '14 add-in signature fetch';
const API_CLIENT_ID = '3f2e1d0c-9b8a-4765-8432-10fedcba9876';
const USERS = 20;
/** The directory sync's recurring job (src/directory/directory-sync.ts). */
const DIRECTORY_SYNC_JOB = 'directory-delta-sync';

async function adminPost(url: string, token: string, body: unknown): Promise<{ id: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as { id: number };
}

export async function addinScenario(ctx: ScenarioContext): Promise<Figure[]> {
  const metric = 'GET /api/addin/signatures throughput, HTTP keep-alive, valid token';
  const server = await startOnrampServer({ workDir: ctx.workDir, name: 'addin', env: { ...ctx.tenant.graphEnv, ONRAMP_ADDIN_API_CLIENT_ID: API_CLIENT_ID } });
  try {
    const admin = await createApiToken(server);
    const template = await adminPost(`${server.url}/api/signatures/templates`, admin, {
      name: 'Contoso',
      source: '<p><b>{{ user.displayName }}</b></p>\n<p>{{ user.jobTitle }} · {{ user.department }}</p>\n<p>{{ user.mail }}</p>\n',
    });
    await adminPost(`${server.url}/api/signatures/rules`, admin, {
      name: 'Everyone',
      enabled: true,
      kind: 'signature',
      templateId: template.id,
      defaults: 'both',
      conditions: {},
      exclusions: {},
      window: null,
    });
    const users = ctx.tenant.memberUpns.slice(0, USERS);
    const tokens = await Promise.all(
      users.map((user) => ctx.tenant.sim.control.issueUserToken({ user, audience: `api://${API_CLIENT_ID}`, scope: 'Signatures.Read', lifetimeSeconds: 3600 })),
    );
    const url = `${server.url}/api/addin/signatures?compose=new`;
    // The directory copy fills from the simulator after start; a user's signature is there once it has.
    const probe = async (token: string) => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { signature?: { webHtml: string } | null };
      return { status: res.status, signature: body.signature ?? null };
    };
    for (const token of tokens) {
      let answer = await probe(token);
      for (const deadline = Date.now() + (ctx.sizes.quick ? 20_000 : 60_000); (answer.status !== 200 || !answer.signature) && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 250));
        answer = await probe(token);
      }
      if (answer.status !== 200 || !answer.signature)
        throw new Error(`the add-in's signature fetch answered ${answer.status} with ${JSON.stringify(answer.signature)}`);
    }
    // The first directory sync (the whole bench tenant) and any push the new rule started must be over,
    // or the load measures them too.
    for (const deadline = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 500))) {
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { jobs?: Array<{ name: string; state: string; lastFinishedAt: string | null }> };
      const jobs = ready.jobs ?? [];
      const synced = jobs.some((j) => j.name === DIRECTORY_SYNC_JOB && j.lastFinishedAt !== null);
      if (synced && jobs.every((j) => j.state !== 'running')) break;
      if (Date.now() > deadline) throw new Error(`onramp's jobs did not settle: ${JSON.stringify(jobs)}`);
    }
    // One token and path for the load: autocannon rebuilds a request per call when a setupRequest varies
    // it, which with a 1.5 kB Authorization header costs the client more than onramp's answer. Every
    // user above was answered once; in the load each request is served from the verified-token and
    // planned-set caches, as an Outlook client reusing its token for the hour is.
    const req: LoadRequest = { url, headers: { authorization: `Bearer ${tokens[0]}` } };
    await warmUp(req, ctx.sizes);
    const runs = await repeat(ctx.sizes.repeats, async () => {
      const r = await load(req, ctx.sizes.loadSeconds);
      assertClean('GET /api/addin/signatures', r);
      return r.rps;
    });
    return [
      figure(
        SCENARIO,
        metric,
        'req/s',
        runs,
        RPS,
        { name: 'bare Fastify', value: ctx.baselines.httpRps },
        `${users.length} users answered first; load with one user's token (caches warm)`,
      ),
    ];
  } finally {
    await server.stop();
  }
}
