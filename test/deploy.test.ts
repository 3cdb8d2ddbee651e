/**
 * What can be checked of the deployment files without a container runtime (docs/OPERATIONS.md says
 * what was not run): the Dockerfile's invariants, its HEALTHCHECK command against a real instance, the
 * compose file read and cross-checked with the settings onramp knows, and nginx's config against it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BlockList } from 'node:net';
import { configSchema, loadConfig } from '../src/onramp-config.js';
import { listSettings } from '../src/config/loader.js';
import { startOnramp } from '../src/main.js';
import { createLogger } from '../src/lib/logger.js';
import { ephemeralServeEnv } from './support/process.js';
import { parseYamlSubset, type YamlValue } from './support/yaml-subset.js';

const ROOT = resolve('.');

/** Exit code of a node child (asynchronous: the instance it probes runs in this process). */
function nodeExit(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((done) => {
    execFile(process.execPath, args, { env: { ...process.env, ...env }, timeout: 10_000 }, (err) =>
      done(err ? Number((err as { code?: number }).code ?? 1) : 0),
    );
  });
}
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions by stage (continuation lines joined, comments dropped). */
function dockerStages(text: string): Array<{ from: string; name?: string; steps: Instruction[] }> {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: Array<{ from: string; name?: string; steps: Instruction[] }> = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, op = '', args = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? [];
      stages.push({ from, name, steps: [] });
    } else if (stages.length > 0) stages.at(-1)!.steps.push({ op: op.toUpperCase(), args });
  }
  return stages;
}

function asMap(value: YamlValue | undefined, what: string): { [key: string]: YamlValue } {
  assert.ok(value && typeof value === 'object' && !Array.isArray(value), `${what} is a mapping`);
  return value;
}

const dockerfile = read('Dockerfile');
const stages = dockerStages(dockerfile);
const runtime = stages.at(-1)!;
const steps = (op: string) => runtime.steps.filter((s) => s.op === op).map((s) => s.args);

test('Dockerfile: multi-stage, the runtime runs as a non-root user, with production dependencies only', () => {
  assert.ok(stages.length >= 2, 'multi-stage');
  const user = steps('USER').at(-1);
  assert.ok(user && !/^(root|0)(:|$)/.test(user), `final USER is not root (${user})`);
  for (const run of steps('RUN')) assert.doesNotMatch(run, /npm (ci|install|i)\b/, 'the runtime stage installs nothing itself');
  const modulesFrom = /--from=(\S+)\s+\S*node_modules/.exec(steps('COPY').join('\n'))?.[1];
  assert.ok(modulesFrom, 'node_modules come from another stage');
  const depsStage = stages.find((s) => s.name === modulesFrom);
  assert.ok(depsStage, `stage ${modulesFrom}`);
  const installs = depsStage.steps.filter((s) => s.op === 'RUN' && /npm ci/.test(s.args));
  assert.ok(installs.length > 0 && installs.every((s) => /--omit=dev/.test(s.args)), 'that stage installs with --omit=dev');
  const copies = steps('COPY').join('\n');
  assert.match(copies, /\/app\/dist\s+\.\/dist/);
  assert.match(copies, /\/app\/portal\/dist\s+\.\/portal\/dist/, 'the built portal, where src/portal looks for it');
  assert.match(steps('ENTRYPOINT').join(''), /dist\/cli\.js/);
});

test('Dockerfile: data volume, both listeners exposed, HEALTHCHECK on /healthz', () => {
  const dataDir = /ONRAMP_DATA_DIR=(\S+)/.exec(steps('ENV').join(' '))?.[1];
  assert.ok(dataDir);
  assert.ok(
    steps('VOLUME').some((v) => v.includes(dataDir)),
    `VOLUME ${dataDir}`,
  );
  const exposed = steps('EXPOSE').join(' ').split(/\s+/);
  for (const port of ['8080', '8443']) assert.ok(exposed.includes(port), `EXPOSE ${port}`);
  assert.match(steps('HEALTHCHECK').join(''), /\/healthz/);
});

test('Dockerfile: every file the build copies exists, and .dockerignore keeps it in the context', () => {
  const ignored = read('.dockerignore')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const must of ['node_modules', 'dist', '.git', 'data']) assert.ok(ignored.includes(must), `.dockerignore lists ${must}`);
  for (const stage of stages) {
    for (const copy of stage.steps.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        assert.ok(existsSync(join(ROOT, source)), `COPY ${source} exists`);
        assert.ok(!ignored.includes(source), `${source} is not excluded by .dockerignore`);
      }
    }
  }
});

test("the HEALTHCHECK's command passes against a serving instance and fails when nothing answers", async () => {
  const exec = /HEALTHCHECK[^\n]*?CMD\s+(\[.*\])/.exec(dockerfile.replace(/\\\n/g, ' '))?.[1];
  assert.ok(exec, 'HEALTHCHECK CMD in exec form');
  const [command, ...args] = JSON.parse(exec) as string[];
  assert.equal(command, 'node');
  const dir = mkdtempSync(join(tmpdir(), 'onramp-health-'));
  const running = await startOnramp({
    config: loadConfig({ env: { ...ephemeralServeEnv(), ONRAMP_DATA_DIR: dir, ONRAMP_CONFIG_FILE: join(dir, 'none.json') } }),
    log: createLogger('silent'),
  });
  const port = new URL(running.publicUrl).port;
  try {
    assert.equal(await nodeExit(args, { ONRAMP_PUBLIC_PORT: port }), 0);
  } finally {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(await nodeExit(args, { ONRAMP_PUBLIC_PORT: port }), 1);
});

const compose = asMap(parseYamlSubset(read('deploy/compose.yaml')), 'compose.yaml');
const services = asMap(compose.services, 'services');
const knownEnv = new Set(listSettings(configSchema).map((s) => s.schema.env));

test('compose.yaml: PostgreSQL, two onramp instances built from this Dockerfile, and nginx in front', () => {
  for (const name of ['postgres', 'onramp-1', 'onramp-2', 'nginx']) assert.ok(services[name], `service ${name}`);
  for (const name of ['onramp-1', 'onramp-2']) {
    const service = asMap(services[name], name);
    const build = asMap(service.build, `${name}.build`);
    assert.ok(existsSync(join(ROOT, 'deploy', String(build.context), String(build.dockerfile))), 'build context and Dockerfile exist');
    const env = asMap(service.environment, `${name}.environment`);
    assert.match(String(env.ONRAMP_DATABASE_URL), /^postgres:\/\/onramp:\$\{POSTGRES_PASSWORD[^}]*\}@postgres:5432\/onramp$/);
    assert.deepEqual(asMap(service.depends_on, 'depends_on').postgres, { condition: 'service_healthy' });
    for (const key of Object.keys(env)) assert.ok(knownEnv.has(key), `${key} is a setting onramp reads (docs/CONFIGURATION.md)`);
  }
  assert.ok(asMap(services.postgres, 'postgres').healthcheck, 'PostgreSQL has a healthcheck the instances wait for');
});

test('compose.yaml: the proxy address onramp trusts is the one nginx has, and nginx forwards the header onramp reads', () => {
  const env = asMap(asMap(services['onramp-1'], 'onramp-1').environment, 'environment');
  const nginx = asMap(services.nginx, 'nginx');
  const address = asMap(asMap(nginx.networks, 'nginx.networks').backend, 'backend').ipv4_address;
  assert.equal(env.ONRAMP_DEVICE_TRUSTED_PROXIES, address);
  assert.equal(env.ONRAMP_TRUST_PROXY, address);
  const subnet = String(
    (asMap(asMap(compose.networks, 'networks').backend, 'backend') as { ipam: { config: Array<{ subnet: string }> } }).ipam.config[0]!.subnet,
  );
  const [net, bits] = subnet.split('/');
  const block = new BlockList();
  block.addSubnet(net!, Number(bits));
  assert.ok(block.check(String(address)), `${address} is inside ${subnet}`);

  const conf = read('deploy/nginx/nginx.conf');
  const mounts = (nginx.volumes as string[]).map((v) => v.split(':')[0]!);
  assert.ok(
    mounts.every((m) => m.startsWith('./pki') || existsSync(join(ROOT, 'deploy', m))),
    'mounted files exist',
  );
  for (const upstream of ['onramp-1:8080', 'onramp-2:8080', 'onramp-1:8443', 'onramp-2:8443']) assert.ok(conf.includes(`server ${upstream}`), upstream);
  // The header nginx fills from the certificate (through a map, so no certificate means no header).
  const variable = /map \$ssl_client_escaped_cert \$(\w+) \{[^}]*default 'Cert="\$ssl_client_escaped_cert"';/.exec(conf)?.[1];
  assert.ok(variable, 'the certificate in XFCC form, nothing without one');
  const forwarded = new RegExp(`proxy_set_header (\\S+) \\$${variable};`).exec(conf)?.[1];
  assert.ok(forwarded);
  assert.deepEqual(String(env.ONRAMP_DEVICE_FORWARDED_CERT_HEADERS).split(','), [forwarded.toLowerCase()], 'exactly the one header nginx sets');
  assert.match(conf, /ssl_verify_client optional_no_ca;/, 'nginx leaves the verdict to onramp');
  assert.match(String(env.ONRAMP_DEVICE_TRUST_ANCHORS_FILE), /forwarded-anchors\.pem$/, 'nginx forwards the leaf alone: the issuing CA is an anchor');
  assert.match(read('deploy/compose.yaml'), /cat \/pki\/trust-anchors\.pem \/pki\/issuing-ca\.pem > \/pki\/forwarded-anchors\.pem/);
});

test('compose.yaml: every required variable is in example.env', () => {
  const required = new Set([...read('deploy/compose.yaml').matchAll(/\$\{(\w+):\?/g)].map((m) => m[1]!));
  const example = new Set([...read('deploy/example.env').matchAll(/^(\w+)=/gm)].map((m) => m[1]!));
  for (const name of required) assert.ok(example.has(name), `${name} in deploy/example.env`);
});

test('the YAML subset reader refuses what it does not understand instead of misreading it', () => {
  assert.throws(() => parseYamlSubset('a: |\n  text\n'), /outside the subset/);
  assert.throws(() => parseYamlSubset('a: 1\na: 2\n'), /duplicate key/);
  assert.deepEqual(parseYamlSubset('x: &base\n  k: 1\n  j: 2\ny:\n  <<: *base\n  j: 3\nz: ["a", b]\n'), {
    x: { k: 1, j: 2 },
    y: { k: 1, j: 3 },
    z: ['a', 'b'],
  });
});

test('main.bicep sets only settings onramp reads, and the forwarded-certificate header API Management sends', () => {
  const bicep = read('deploy/azure/main.bicep');
  const names = [...bicep.matchAll(/name: '(ONRAMP_\w+)'/g)].map((m) => m[1]!);
  assert.ok(names.length > 10);
  for (const name of names) assert.ok(knownEnv.has(name), `${name} is a setting onramp reads`);
  assert.match(bicep, /name: 'ONRAMP_DEVICE_FORWARDED_CERT_HEADERS', value: 'x-arr-clientcert'/);
  assert.match(bicep, /<set-header name="X-ARR-ClientCert" exists-action="override">/);
  assert.match(bicep, /<set-header name="X-Forwarded-Client-Cert" exists-action="delete" \/>/, 'the other configured header cannot be smuggled in');
  assert.match(bicep, /name: 'ONRAMP_GRAPH_CREDENTIAL', value: 'managedIdentity'/);
});

test(
  'app-registration.sh grants exactly the application permissions docs/GRAPH.md lists, per option',
  { skip: !existsSync('/bin/bash') && 'no bash' },
  async () => {
    const documented = read('docs/GRAPH.md');
    const granted = async (...options: string[]) => {
      const out = await new Promise<string>((done, fail) =>
        execFile('/bin/bash', ['deploy/azure/app-registration.sh', '--dry-run', ...options], { cwd: ROOT }, (err, stdout) => (err ? fail(err) : done(stdout))),
      );
      return [...out.matchAll(/^granting (\S+)$/gm)].map((m) => m[1]!).sort();
    };
    const all = await granted();
    assert.deepEqual(all, ['AuditLog.Read.All', 'Exchange.ManageAsApp', 'GroupMember.ReadWrite.All', 'Mail.Send', 'User.Read.All']);
    for (const permission of all) assert.ok(documented.includes(`\`${permission}\``), `${permission} is in docs/GRAPH.md`);
    assert.deepEqual(await granted('--mfa-source', 'methods', '--no-mail', '--no-signatures'), [
      'GroupMember.ReadWrite.All',
      'User.Read.All',
      'UserAuthenticationMethod.Read.All',
    ]);
    assert.deepEqual(await granted('--managed-identity', '11111111-2222-3333-4444-555555555555', '--no-signatures'), [
      'AuditLog.Read.All',
      'GroupMember.ReadWrite.All',
      'Mail.Send',
      'User.Read.All',
    ]);
  },
);
