import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { EmailKind } from './email-templates.js';
import type { Language } from './languages.js';

type Db = Kysely<Database> | Transaction<Database>;
export type EmailTemplateVersionRow = Selectable<Database['email_template_version']>;

/** The current (latest) version of every kind and language that has one. */
export async function currentTemplateVersions(db: Db): Promise<EmailTemplateVersionRow[]> {
  const latest = db
    .selectFrom('email_template_version')
    .select((eb) => eb.fn.max('id').as('id'))
    .groupBy(['kind', 'language']);
  return db.selectFrom('email_template_version').selectAll().where('id', 'in', latest).execute();
}

/** Newest first. */
export async function templateVersions(db: Db, kind: EmailKind, language: Language, limit: number): Promise<EmailTemplateVersionRow[]> {
  return db
    .selectFrom('email_template_version')
    .selectAll()
    .where('kind', '=', kind)
    .where('language', '=', language)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function templateVersion(db: Db, kind: EmailKind, language: Language, id: number): Promise<EmailTemplateVersionRow | undefined> {
  return db.selectFrom('email_template_version').selectAll().where('id', '=', id).where('kind', '=', kind).where('language', '=', language).executeTakeFirst();
}

export async function insertTemplateVersion(
  db: Db,
  row: { kind: EmailKind; language: Language; subject: string; body: string; comment: string; created_by: string; created_at: string },
): Promise<EmailTemplateVersionRow> {
  return db.insertInto('email_template_version').values(row).returningAll().executeTakeFirstOrThrow();
}
