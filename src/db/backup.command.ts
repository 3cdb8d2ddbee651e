import type { Command } from 'commander';
import { BackupFailedError } from '../errors.js';
import { backupSqlite, postgresBackupCommands, restoreSqlite } from './backup.js';

/** `onramp backup <file>` and `onramp restore <file>` (docs/OPERATIONS.md). */
/** The settings the commands read (the CLI hands them over: db/ sits below the assembled config). */
interface BackupSettings {
  dataDir: string;
  database: { url?: string | undefined; schema: string };
}

export function registerBackupCommands(program: Command, config: () => BackupSettings): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);

  program
    .command('backup <file>')
    .description('write a consistent copy of the SQLite database to <file>, while onramp keeps serving (PostgreSQL: prints the pg_dump command)')
    .action(async (file: string) => {
      const cfg = config();
      if (cfg.database.url) {
        const { dump, restore } = postgresBackupCommands(cfg.database.url, cfg.database.schema, file);
        throw new BackupFailedError(
          `the database is PostgreSQL (database.url): back it up with pg_dump, e.g.\n  ${dump}\nand restore with\n  ${restore}\n(docs/OPERATIONS.md)`,
        );
      }
      const result = await backupSqlite(cfg.dataDir, file);
      out(`backed up to ${result.file}: ${result.bytes} bytes, ${result.migrations} migrations applied, integrity ok`);
    });

  program
    .command('restore <file>')
    .description('replace the SQLite database with a backup made by `onramp backup` (stop every instance first)')
    .action(async (file: string) => {
      const cfg = config();
      if (cfg.database.url) throw new BackupFailedError('the database is PostgreSQL (database.url): restore it with pg_restore (docs/OPERATIONS.md)');
      const result = await restoreSqlite(cfg.dataDir, file);
      const pending = result.pending > 0 ? `; the next start applies ${result.pending} newer migration(s)` : '';
      out(`restored ${result.file} from ${file} (${result.migrations} migrations applied${pending})`);
    });
}
