/**
 * The one way tests and scripts start a browser: the system's Chromium when there is one, otherwise the
 * Chromium that ships inside the `@sparticuz/chromium` npm package, so `npm ci && npm test` needs no
 * apt step and no browser download. ONRAMP_CHROMIUM names another binary explicitly.
 *
 * The package keeps its binary brotli-compressed and unpacks it into os.tmpdir() on first use, checking
 * only that the target exists: two processes unpacking at once, or one interrupted, would hand a
 * half-written binary to the next. So it unpacks here in a child process whose TMPDIR is a fresh
 * staging directory, which is then renamed into place in one step (per package version and user).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type LaunchOptions, type Locator } from 'playwright-core';

const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChromiumBinary {
  executablePath: string;
  /** Where it came from, for messages: 'ONRAMP_CHROMIUM', 'system' or '@sparticuz/chromium <version>'. */
  source: string;
  env: Record<string, string>;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let packaged: ChromiumBinary | undefined;

/** The packaged Chromium, unpacked once per user and package version into the temp directory. */
function packagedChromium(): ChromiumBinary {
  if (packaged) return packaged;
  const require = createRequire(import.meta.url);
  const packageDir = dirname(dirname(dirname(require.resolve('@sparticuz/chromium'))));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = join(tmpdir(), `onramp-chromium-${version}-${userInfo().uid}`);
  if (!existsSync(join(dir, 'chromium'))) {
    const staging = mkdtempSync(join(tmpdir(), `onramp-chromium-${version}-staging-`));
    try {
      const unpack = spawnSync(
        process.execPath,
        ['--input-type=module', '-e', "const { default: c } = await import('@sparticuz/chromium'); await c.executablePath();"],
        { cwd: packageDir, env: { ...process.env, TMPDIR: staging }, encoding: 'utf8' },
      );
      if (unpack.status !== 0) throw new Error(`could not unpack @sparticuz/chromium ${version}: ${unpack.stderr.trim()}`);
      // The package's fonts.conf names /tmp/fonts; point fontconfig at the fonts unpacked here.
      writeFileSync(
        join(staging, 'fonts', 'fonts.conf'),
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(dir, 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
      );
      try {
        renameSync(staging, dir);
      } catch (err) {
        // Another process renamed its copy into place first: use that one.
        if (!existsSync(join(dir, 'chromium'))) throw err;
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  packaged = { executablePath: join(dir, 'chromium'), source: `@sparticuz/chromium ${version}`, env: { FONTCONFIG_PATH: join(dir, 'fonts') } };
  return packaged;
}

/** Which Chromium launchChromium() starts: ONRAMP_CHROMIUM, else the system's, else the packaged one. */
export function findChromium(): ChromiumBinary {
  const chosen = process.env.ONRAMP_CHROMIUM;
  if (chosen) return { executablePath: chosen, source: 'ONRAMP_CHROMIUM', env: {} };
  const system = SYSTEM_CHROMIUM.find(executable);
  if (system) return { executablePath: system, source: 'system', env: {} };
  return packagedChromium();
}

/** A headless Chromium driven by playwright-core. */
export function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const binary = findChromium();
  return chromium.launch({
    ...options,
    headless: true,
    executablePath: binary.executablePath,
    args: [...ARGS, ...(options.args ?? [])],
    env: { ...process.env, ...binary.env, ...options.env } as LaunchOptions['env'],
  });
}

/** The natural width of an `<img>` once it has loaded (0 if it failed): right after it appears it may still be on its way. */
export function loadedImageWidth(image: Locator): Promise<number> {
  return image.evaluate(
    (img: HTMLImageElement) =>
      new Promise<number>((resolve) => {
        if (img.complete) resolve(img.naturalWidth);
        else {
          img.addEventListener('load', () => resolve(img.naturalWidth), { once: true });
          img.addEventListener('error', () => resolve(0), { once: true });
        }
      }),
  );
}
