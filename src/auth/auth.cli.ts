import { InvalidArgumentError, type Command } from 'commander';
import type { OnrampConfig } from '../onramp-config.js';
import { openStorage } from '../db/dialect.js';
import { migrateToLatest } from '../db/migrations/index.js';
import { systemClock } from '../lib/clock.js';
import { isRole, type Role } from './auth.model.js';
import { AuditLog, AuthService, MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from './auth.service.js';

/** `onramp token …` and `onramp admin …`: credentials managed from the host's shell. */
export function registerAuthCommands(program: Command, loadConfig: () => OnrampConfig): void {
  const withAuth = async (fn: (auth: AuthService, audit: AuditLog) => Promise<void>) => {
    const cfg = loadConfig();
    const storage = await openStorage({ ...cfg.database, dataDir: cfg.dataDir });
    try {
      await migrateToLatest(storage);
      await fn(new AuthService(storage.db, cfg.auth, systemClock), new AuditLog(storage.db, systemClock));
    } finally {
      await storage.close();
    }
  };
  const operator = `cli:${process.env.USER ?? 'unknown'}`;

  const token = program.command('token').description('API tokens for automation (Authorization: Bearer)');
  token
    .command('create')
    .description('create an API token and print it once (only a hash is stored)')
    .requiredOption('--name <name>', 'what the token is for, e.g. "hr-sync"')
    .requiredOption('--role <role>', 'admin or viewer', (value: string): Role => {
      if (!isRole(value)) throw new InvalidArgumentError('must be admin or viewer');
      return value;
    })
    .action(async (opts: { name: string; role: Role }) => {
      await withAuth(async (auth, audit) => {
        const { id, token: secret } = await auth.createApiToken(opts.name, opts.role, operator);
        await audit.write({ actor: operator, actorKind: 'cli', action: 'token.create', target: `token:${opts.name}`, details: { id, role: opts.role } });
        process.stdout.write(`${secret}\n`);
        process.stderr.write(`token ${id} "${opts.name}" (${opts.role}) created; it is shown only this once.\n`);
      });
    });
  token
    .command('list')
    .description('list API tokens (never the tokens themselves)')
    .action(async () => {
      await withAuth(async (auth) => {
        for (const t of await auth.listApiTokens()) {
          process.stdout.write(
            `${t.id}\t${t.name}\t${t.role}\t${t.token_prefix}…\tcreated ${t.created_at}\tlast used ${t.last_used_at ?? 'never'}${t.revoked_at ? `\trevoked ${t.revoked_at}` : ''}\n`,
          );
        }
      });
    });
  token
    .command('revoke')
    .description('revoke an API token by id')
    .argument('<id>', 'token id from `token list`', (v: string) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be a number');
      return Number(v);
    })
    .action(async (id: number) => {
      await withAuth(async (auth, audit) => {
        if (!(await auth.revokeApiToken(id))) {
          process.stderr.write(`onramp: no active token ${id}\n`);
          process.exitCode = 1;
          return;
        }
        await audit.write({ actor: operator, actorKind: 'cli', action: 'token.revoke', target: String(id) });
        process.stdout.write(`token ${id} revoked\n`);
      });
    });

  program
    .command('admin')
    .description('local admin accounts')
    .command('set-password')
    .description('create a local admin or reset its password; the password is read from ONRAMP_ADMIN_PASSWORD or stdin')
    .requiredOption('--username <name>', 'user name', (v: string) => {
      if (!new RegExp(USERNAME_PATTERN).test(v)) throw new InvalidArgumentError('letters, digits and ._@- only, up to 64');
      return v;
    })
    .action(async (opts: { username: string }) => {
      const password = process.env.ONRAMP_ADMIN_PASSWORD ?? (await readStdin()).replace(/\r?\n$/, '');
      if (password.length < MIN_PASSWORD_LENGTH) {
        process.stderr.write(`onramp: the password must have at least ${MIN_PASSWORD_LENGTH} characters\n`);
        process.exitCode = 1;
        return;
      }
      await withAuth(async (auth, audit) => {
        await auth.setLocalAdminPassword(opts.username, password);
        await audit.write({ actor: operator, actorKind: 'cli', action: 'admin.set-password', target: opts.username });
        process.stdout.write(`local admin ${opts.username} saved\n`);
      });
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
