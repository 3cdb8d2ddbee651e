import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import type { GraphConnector } from '../../graph/connect.js';
import type { OnrampConfig } from '../../onramp-config.js';
import { openStorage } from '../../db/dialect.js';
import { migrateToLatest } from '../../db/migrations/index.js';
import { systemClock } from '../../lib/clock.js';
import { SignatureStore } from '../store.js';
import { liquidSignatureEngine } from '../template-engine.js';
import { OnrampError } from '../../errors.js';
import { importSos, printSosReport, SosImportError } from './importer.js';
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

/** `onramp signatures import-sos <folder> [--dry-run]`: the admin API's import, from a folder on disk. */
export function registerSignatureCommands(program: Command, loadConfig: () => OnrampConfig, connect: GraphConnector): void {
  program
    .command('signatures')
    .description('Outlook signatures')
    .command('import-sos <folder>')
    .description('import a Set-OutlookSignatures template folder (its INI and the templates it names): templates, rules, variables, images; prints the report')
    .option('--dry-run', 'print the report only, store nothing')
    .option('--ini <path>', 'the INI, relative to the folder, when it holds several')
    .action(async (folder: string, opts: { dryRun?: boolean; ini?: string }) => {
      const config = loadConfig();
      const cfg = config.signatures;
      const files = await readFolder(folder);
      const storage = await openStorage({ ...config.database, dataDir: config.dataDir });
      try {
        await migrateToLatest(storage);
        // Groups are found by name in Entra: the tenant is needed even for a dry run.
        const graph = await connect(config.graph);
        try {
          const store = new SignatureStore({
            db: storage.db,
            engine: liquidSignatureEngine({ maxBytes: cfg.maxBytes, maxNestingDepth: cfg.maxNestingDepth, maxElements: cfg.maxElements }),
            clock: systemClock,
            maxAssetBytes: cfg.maxAssetBytes,
          });
          const report = await importSos(store, files, {
            findGroup: groupLookupFrom((prefix, limit) => graph.graph.findGroups(prefix, limit)),
            timeZone: cfg.timeZone,
            dryRun: opts.dryRun ?? false,
            actor: 'cli',
            ...(opts.ini === undefined ? {} : { iniPath: opts.ini }),
          });
          process.stdout.write(printSosReport(report));
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
