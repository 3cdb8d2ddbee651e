/**
 * SQL of the signature store: templates and their immutable versions, rules, custom variables and
 * assets. Portable across SQLite and PostgreSQL; each function takes the database or a transaction.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

export type Db = Kysely<Database> | Transaction<Database>;
export type TemplateRow = Selectable<Database['signature_template']>;
export type TemplateVersionRow = Selectable<Database['signature_template_version']>;
export type RuleRow = Selectable<Database['signature_rule']> & { template_name: string };
export type AssetMetaRow = Omit<Selectable<Database['signature_asset']>, 'bytes'>;

// ---------------------------------------------------------------------------------------------- templates

export async function listTemplates(db: Db): Promise<TemplateRow[]> {
  return db.selectFrom('signature_template').selectAll().orderBy('name').execute();
}

export async function templateById(db: Db, id: number): Promise<TemplateRow | undefined> {
  return db.selectFrom('signature_template').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function templateIdByName(db: Db, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('signature_template').select('id').where('name', '=', name).executeTakeFirst();
  return row === undefined ? undefined : Number(row.id);
}

/** Inserts the template and its version 1; undefined when the name is taken. */
export async function insertTemplate(
  trx: Db,
  t: { name: string; description: string; source: string; comment: string; actor: string; now: string },
): Promise<number | undefined> {
  const row = await trx
    .insertInto('signature_template')
    .values({ name: t.name, description: t.description, current_version: 1, created_at: t.now, updated_at: t.now, updated_by: t.actor })
    .onConflict((oc) => oc.column('name').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) return undefined;
  const id = Number(row.id);
  await trx
    .insertInto('signature_template_version')
    .values({ template_id: id, version: 1, source: t.source, created_at: t.now, created_by: t.actor, comment: t.comment })
    .execute();
  return id;
}

/**
 * Adds version `baseVersion + 1` if `baseVersion` is still the current one (optimistic concurrency: the
 * conditional update is the check, so two saves from the same base cannot both win). False: someone saved first.
 */
export async function addVersion(
  trx: Db,
  id: number,
  baseVersion: number,
  v: { name: string; description: string; source: string; comment: string; actor: string; now: string },
): Promise<boolean> {
  const next = baseVersion + 1;
  const updated = await trx
    .updateTable('signature_template')
    .set({ current_version: next, name: v.name, description: v.description, updated_at: v.now, updated_by: v.actor })
    .where('id', '=', id)
    .where('current_version', '=', baseVersion)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return false;
  await trx
    .insertInto('signature_template_version')
    .values({ template_id: id, version: next, source: v.source, created_at: v.now, created_by: v.actor, comment: v.comment })
    .execute();
  return true;
}

export async function templateVersion(db: Db, id: number, version: number): Promise<TemplateVersionRow | undefined> {
  return db.selectFrom('signature_template_version').selectAll().where('template_id', '=', id).where('version', '=', version).executeTakeFirst();
}

export async function currentVersions(db: Db, ids: readonly number[]): Promise<Array<TemplateVersionRow & { name: string }>> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('signature_template as t')
    .innerJoin('signature_template_version as v', (j) => j.onRef('v.template_id', '=', 't.id').onRef('v.version', '=', 't.current_version'))
    .select(['v.template_id', 'v.version', 'v.source', 'v.created_at', 'v.created_by', 'v.comment', 't.name'])
    .where('t.id', 'in', [...ids])
    .execute();
}

export async function listVersions(db: Db, id: number): Promise<Omit<TemplateVersionRow, 'source'>[]> {
  return db
    .selectFrom('signature_template_version')
    .select(['template_id', 'version', 'created_at', 'created_by', 'comment'])
    .where('template_id', '=', id)
    .orderBy('version', 'desc')
    .execute();
}

export async function deleteTemplate(trx: Db, id: number): Promise<void> {
  await trx.deleteFrom('signature_template_version').where('template_id', '=', id).execute();
  await trx.deleteFrom('signature_template').where('id', '=', id).execute();
}

// -------------------------------------------------------------------------------------------------- rules

function rulesQuery(db: Db) {
  return db
    .selectFrom('signature_rule as r')
    .innerJoin('signature_template as t', 't.id', 'r.template_id')
    .selectAll('r')
    .select('t.name as template_name')
    .orderBy('r.priority')
    .orderBy('r.id');
}

export async function listRules(db: Db): Promise<RuleRow[]> {
  return rulesQuery(db).execute();
}

export async function ruleById(db: Db, id: number): Promise<RuleRow | undefined> {
  return rulesQuery(db).where('r.id', '=', id).executeTakeFirst();
}

export async function rulesUsingTemplate(db: Db, templateId: number): Promise<Array<{ id: number; name: string }>> {
  const rows = await db.selectFrom('signature_rule').select(['id', 'name']).where('template_id', '=', templateId).orderBy('priority').execute();
  return rows.map((r) => ({ id: Number(r.id), name: r.name }));
}

export type RuleValues = Omit<Selectable<Database['signature_rule']>, 'id' | 'priority' | 'created_at'>;

/** Inserts a rule last (lowest priority). */
export async function insertRule(trx: Db, values: RuleValues): Promise<number> {
  const last = await trx
    .selectFrom('signature_rule')
    .select((eb) => eb.fn.max('priority').as('p'))
    .executeTakeFirst();
  const row = await trx
    .insertInto('signature_rule')
    .values({ ...values, priority: Number(last?.p ?? 0) + 1, created_at: values.updated_at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function updateRule(trx: Db, id: number, values: RuleValues): Promise<boolean> {
  const r = await trx.updateTable('signature_rule').set(values).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function deleteRule(trx: Db, id: number): Promise<boolean> {
  const r = await trx.deleteFrom('signature_rule').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

export async function ruleIds(db: Db): Promise<number[]> {
  const rows = await db.selectFrom('signature_rule').select('id').orderBy('priority').orderBy('id').execute();
  return rows.map((r) => Number(r.id));
}

/** Priorities 1…n in the given order (rules are few: tens, so one update each). */
export async function setRuleOrder(trx: Db, ids: readonly number[]): Promise<void> {
  for (const [index, id] of ids.entries())
    await trx
      .updateTable('signature_rule')
      .set({ priority: index + 1 })
      .where('id', '=', id)
      .execute();
}

// ---------------------------------------------------------------------------------------------- variables

export interface VariableRows {
  variable: Selectable<Database['signature_variable']>;
  users: Array<{ upn_lower: string; value: string }>;
  groups: Array<{ group_id: string; group_name: string; value: string }>;
}

export async function listVariables(db: Db): Promise<VariableRows[]> {
  const [variables, users, groups] = await Promise.all([
    db.selectFrom('signature_variable').selectAll().orderBy('name').execute(),
    db.selectFrom('signature_variable_user_value').selectAll().orderBy('variable_name').orderBy('upn_lower').execute(),
    db.selectFrom('signature_variable_group_value').selectAll().orderBy('variable_name').orderBy('position').execute(),
  ]);
  return variables.map((variable) => ({
    variable,
    users: users.filter((u) => u.variable_name === variable.name),
    groups: groups.filter((g) => g.variable_name === variable.name),
  }));
}

export async function replaceVariable(trx: Db, v: VariableRows): Promise<void> {
  const name = v.variable.name;
  const { name: _, ...rest } = v.variable;
  await trx
    .insertInto('signature_variable')
    .values(v.variable)
    .onConflict((oc) => oc.column('name').doUpdateSet(rest))
    .execute();
  await trx.deleteFrom('signature_variable_user_value').where('variable_name', '=', name).execute();
  await trx.deleteFrom('signature_variable_group_value').where('variable_name', '=', name).execute();
  if (v.users.length > 0)
    await trx
      .insertInto('signature_variable_user_value')
      .values(v.users.map((u) => ({ variable_name: name, ...u })))
      .execute();
  if (v.groups.length > 0)
    await trx
      .insertInto('signature_variable_group_value')
      .values(v.groups.map((g, position) => ({ variable_name: name, position, ...g })))
      .execute();
}

export async function deleteVariable(trx: Db, name: string): Promise<boolean> {
  await trx.deleteFrom('signature_variable_user_value').where('variable_name', '=', name).execute();
  await trx.deleteFrom('signature_variable_group_value').where('variable_name', '=', name).execute();
  const r = await trx.deleteFrom('signature_variable').where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** The values every user shares: defaults, and group values with the first listed group last (it wins when written last). */
export async function sharedVariableValues(db: Db): Promise<{
  defaults: Array<{ name: string; default_value: string }>;
  groups: Array<{ variable_name: string; group_id: string; value: string }>;
  anyUserValues: boolean;
}> {
  const [defaults, groups, anyUser] = await Promise.all([
    db.selectFrom('signature_variable').select(['name', 'default_value']).execute(),
    db
      .selectFrom('signature_variable_group_value')
      .select(['variable_name', 'group_id', 'value'])
      .orderBy('variable_name')
      .orderBy('position', 'desc')
      .execute(),
    db.selectFrom('signature_variable_user_value').select('variable_name').limit(1).executeTakeFirst(),
  ]);
  return { defaults, groups, anyUserValues: anyUser !== undefined };
}

export async function userVariableValues(db: Db, upnLower: string): Promise<Array<{ variable_name: string; value: string }>> {
  return db.selectFrom('signature_variable_user_value').select(['variable_name', 'value']).where('upn_lower', '=', upnLower).execute();
}

/** Groups variables name (their memberships are kept in the directory copy). */
export async function variableGroups(db: Db): Promise<Array<{ id: string; displayName: string }>> {
  const rows = await db.selectFrom('signature_variable_group_value').select(['group_id', 'group_name']).distinct().execute();
  return rows.map((r) => ({ id: r.group_id, displayName: r.group_name }));
}

// ------------------------------------------------------------------------------------------------- assets

const ASSET_META = ['hash', 'content_type', 'size', 'width', 'height', 'original_name', 'uploaded_by', 'uploaded_at'] as const;

/** Stores the asset unless the same bytes are already there (then the first upload's record stays). */
export async function insertAsset(db: Db, row: Selectable<Database['signature_asset']>): Promise<void> {
  await db
    .insertInto('signature_asset')
    .values(row)
    .onConflict((oc) => oc.column('hash').doNothing())
    .execute();
}

export async function listAssets(db: Db): Promise<AssetMetaRow[]> {
  return db.selectFrom('signature_asset').select(ASSET_META).orderBy('uploaded_at', 'desc').orderBy('hash').execute();
}

export async function assetMeta(db: Db, hash: string): Promise<AssetMetaRow | undefined> {
  return db.selectFrom('signature_asset').select(ASSET_META).where('hash', '=', hash).executeTakeFirst();
}

export async function assetsByHash(db: Db, hashes: readonly string[]): Promise<Array<Selectable<Database['signature_asset']>>> {
  if (hashes.length === 0) return [];
  return db
    .selectFrom('signature_asset')
    .selectAll()
    .where('hash', 'in', [...hashes])
    .execute();
}

export async function deleteAsset(db: Db, hash: string): Promise<boolean> {
  const r = await db.deleteFrom('signature_asset').where('hash', '=', hash).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
