import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import type { GraphConnector } from '../../graph/connect.js';
import type { OnrampConfig } from '../../onramp-config.js';
import { openStorage } from '../../db/dialect.js';
import { migrateToLatest } from '../../db/migrations/index.js';
import { systemClock } from '../../lib/clock.js';
import { DirectoryFacts } from '../../directory/directory-facts.js';
import { StoredSignaturePlanner } from '../planner.js';
import { SignatureStore } from '../store.js';
import { liquidSignatureEngine } from '../template-engine.js';
import { OnrampError } from '../../errors.js';
import { importSos, plannerPreview, printSosReport, SosImportError, type SosImportReport } from './importer.js';
import { groupLookupFrom } from './rules.js';
import { SOS_ZIP_LIMITS } from './zip.js';

/** The folder's files by relative path, within the same limits as an uploaded zip. */
async function readFolder(folder: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let total = 0;
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    total += bytes.length;
    if (files.size >= SOS_ZIP_LIMITS.maxEntries || total > SOS_ZIP_LIMITS.maxUnpackedBytes) {
      throw new Error(
        `${folder} holds more than ${SOS_ZIP_LIMITS.maxEntries} files or ${SOS_ZIP_LIMITS.maxUnpackedBytes} bytes: is it an SOS template folder?`,
      );
    }
    files.set(relative(folder, path).replace(/\\/g, '/'), bytes);
  }
  return files;
}

/** Each preview as two pages side by side in one file per template: open them in a browser. */
async function writePreviews(report: SosImportReport, folder: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const written: string[] = [];
  for (const preview of report.previews ?? []) {
    const base = join(folder, preview.template.replace(/[^\p{L}\p{N} ._-]+/gu, '_'));
    await writeFile(`${base}.original.html`, preview.original);
    await writeFile(`${base}.onramp.html`, preview.rendered ?? `<!doctype html><meta charset="utf-8"><p>${preview.problem ?? ''}</p>`);
    written.push(`${base}.original.html`, `${base}.onramp.html`);
  }
  return written;
}

/** `onramp signatures import-sos <folder> [--dry-run]`: the admin API's import, from a folder on disk. */
export function registerSignatureCommands(program: Command, loadConfig: () => OnrampConfig, connect: GraphConnector): void {
  program
    .command('signatures')
    .description('Outlook signatures')
    .command('import-sos <folder>')
    .description('import a Set-OutlookSignatures template folder (its INI and the templates it names): templates, rules, variables, images; prints the report')
    .option('--dry-run', 'print the report only, store nothing')
    .option('--ini <path>', 'the INI, relative to the folder, when it holds several')
    .option('--preview-user <upn>', 'render each template for this directory user (with --preview-dir)')
    .option('--preview-dir <folder>', 'where to write <template>.original.html and <template>.onramp.html for each template', 'sos-preview')
    .action(async (folder: string, opts: { dryRun?: boolean; ini?: string; previewUser?: string; previewDir: string }) => {
      const config = loadConfig();
      const cfg = config.signatures;
      const files = await readFolder(folder);
      const storage = await openStorage({ ...config.database, dataDir: config.dataDir });
      try {
        await migrateToLatest(storage);
        // Groups are found by name in Entra: the tenant is needed even for a dry run.
        const graph = await connect(config.graph);
        try {
          const engine = liquidSignatureEngine({ maxBytes: cfg.maxBytes, maxNestingDepth: cfg.maxNestingDepth, maxElements: cfg.maxElements });
          const store = new SignatureStore({ db: storage.db, engine, clock: systemClock, maxAssetBytes: cfg.maxAssetBytes });
          const planner = new StoredSignaturePlanner({
            db: storage.db,
            store,
            engine,
            directory: new DirectoryFacts(storage.db),
            clock: systemClock,
            timeZone: cfg.timeZone,
          });
          const report = await importSos(store, files, {
            findGroup: groupLookupFrom((prefix, limit) => graph.graph.findGroups(prefix, limit)),
            timeZone: cfg.timeZone,
            dryRun: opts.dryRun ?? false,
            actor: 'cli',
            ...(opts.ini === undefined ? {} : { iniPath: opts.ini }),
            ...(opts.previewUser === undefined ? {} : { preview: { user: opts.previewUser, render: plannerPreview(planner, cfg.maxAssetBytes) } }),
          });
          process.stdout.write(printSosReport(report));
          const previews = await writePreviews(report, opts.previewDir);
          if (previews.length > 0)
            process.stdout.write(`\nPreviews for ${opts.previewUser} (open side by side):\n${previews.map((p) => `  ${p}`).join('\n')}\n`);
        } catch (error) {
          // Bad input (an unreadable folder, a template that does not compile, a name taken): one line, exit 1.
          if (!(error instanceof SosImportError || error instanceof OnrampError)) throw error;
          process.stderr.write(`import-sos: ${error.message}\n`);
          process.exitCode = 1;
        } finally {
          await graph.close();
        }
      } finally {
        await storage.close();
      }
    });
}
