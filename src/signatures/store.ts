/**
 * The signature store's use cases: templates with immutable versions (optimistic concurrency, rollback,
 * diff), assignment rules (ordered), custom variables and image assets. Free of HTTP; its SQL is in
 * store.queries.ts. Every template save compiles the source first: a template that does not compile is
 * never stored.
 */
import type { Kysely } from 'kysely';
import { structuredPatch, createTwoFilesPatch } from 'diff';
import type { Database } from '../db/schema.js';
import { OnrampError } from '../errors.js';
import type { Clock } from '../lib/clock.js';
import type { NamedGroup } from '../directory/group-membership.js';
import type {
  Asset,
  CreateTemplateBody,
  Rule,
  RuleCriteria,
  RuleInput,
  TemplateDetail,
  TemplateDiff,
  TemplateSummary,
  TemplateVersion,
  TemplateVersionSummary,
  UpdateTemplateBody,
  Variable,
  VariableInput,
} from './admin.schemas.js';
import { inspectImage } from './assets.js';
import type { CompiledSignatureTemplate, SignatureEngine } from './engine.js';
import type { RuleDefinition } from './rules.js';
import { windowProblem } from '../directory/criteria.js';
import * as q from './store.queries.js';

/** What changed, for listeners (the deployment re-plans on template and rule changes). */
export interface StoreChange {
  /** `group`: the members of groups rules or variables name changed in the directory copy. */
  kind: 'template' | 'rule' | 'variable' | 'asset' | 'group';
  id: string;
}

/** Keeps the directory's group memberships for the groups rules and variables name (directory/group-membership.ts). */
export interface GroupTracker {
  track(groups: readonly NamedGroup[]): Promise<void>;
}

/** A whole setup to store at once (an import): templates are named by `key` in their rules. */
export interface ImportBundle {
  assets: { bytes: Buffer; originalName: string }[];
  variables: { name: string; description: string }[];
  templates: { key: string; name: string; description: string; source: string; comment: string }[];
  rules: (Omit<RuleInput, 'templateId'> & { templateKey: string })[];
}

export interface StoreOptions {
  db: Kysely<Database>;
  engine: SignatureEngine;
  clock: Clock;
  groups?: GroupTracker | undefined;
  maxAssetBytes: number;
}

const notFound = (what: string, id: string | number) => new OnrampError('ONRAMP_ERR_SIGNATURE_ITEM_NOT_FOUND', [what, String(id)]);

function summary(row: q.TemplateRow): TemplateSummary {
  return {
    id: Number(row.id),
    name: row.name,
    description: row.description,
    currentVersion: row.current_version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

function versionSummary(row: Omit<q.TemplateVersionRow, 'source'>): TemplateVersionSummary {
  return { version: row.version, createdAt: row.created_at, createdBy: row.created_by, comment: row.comment };
}

export function ruleFromRow(row: q.RuleRow): Rule {
  return {
    id: Number(row.id),
    priority: row.priority,
    name: row.name,
    enabled: row.enabled === 1,
    kind: row.kind as Rule['kind'],
    templateId: Number(row.template_id),
    templateName: row.template_name,
    defaults: row.defaults as Rule['defaults'],
    conditions: JSON.parse(row.conditions) as RuleCriteria,
    exclusions: JSON.parse(row.exclusions) as RuleCriteria,
    window: row.window_from && row.window_to && row.window_time_zone ? { from: row.window_from, to: row.window_to, timeZone: row.window_time_zone } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export function ruleDefinition(rule: Rule): RuleDefinition {
  const { createdAt: _c, updatedAt: _u, updatedBy: _b, ...definition } = rule;
  return definition;
}

/** What a template calls an image by name: its file name without the extension (`logo.png` → `asset:logo`). */
export function assetName(originalName: string): string {
  return originalName.replace(/\.[^.]*$/, '') || originalName;
}

/** Each asset name → the SHA-256 of its newest upload (rows newest first, as listAssets returns them). */
export function assetNamesOf(rows: readonly Pick<q.AssetMetaRow, 'hash' | 'original_name'>[]): Record<string, string> {
  const names: Record<string, string> = {};
  for (const row of rows) names[assetName(row.original_name)] ??= row.hash;
  return names;
}

export function assetView(row: q.AssetMetaRow): Asset {
  return {
    hash: row.hash,
    contentType: row.content_type as Asset['contentType'],
    size: row.size,
    width: row.width,
    height: row.height,
    originalName: row.original_name,
    uploadedBy: row.uploaded_by,
    uploadedAt: row.uploaded_at,
    reference: `asset:${row.hash}`,
    nameReference: `asset:${assetName(row.original_name)}`,
    url: `/api/signatures/assets/${row.hash}`,
  };
}

export class SignatureStore {
  readonly #listeners: Array<(change: StoreChange) => void> = [];
  readonly #groupSources: Array<() => Promise<NamedGroup[]>> = [];

  constructor(private readonly o: StoreOptions) {}

  /** Called after every committed change. */
  onChange(listener: (change: StoreChange) => void): void {
    this.#listeners.push(listener);
  }

  /** The directory's group refresh found new members for these groups: what rules decide may differ now. */
  groupMembersChanged(groupIds: readonly string[]): void {
    this.#changed('group', groupIds.join(','));
  }

  #changed(kind: StoreChange['kind'], id: string | number): void {
    for (const listener of this.#listeners) listener({ kind, id: String(id) });
  }

  #now(): string {
    return this.o.clock.now().toISOString();
  }

  // -------------------------------------------------------------------------------------------- templates

  /** Compiles as a save would (against the variables defined now); throws 400 with the problems. */
  async compileForSave(source: string): Promise<CompiledSignatureTemplate> {
    const [variables, assets] = await Promise.all([q.listVariables(this.o.db), this.assetNames()]);
    const outcome = this.o.engine.compile(source, { variables: variables.map((v) => v.variable.name), assets });
    if (!outcome.ok) {
      const first = outcome.problems[0];
      const summaryText = first ? `line ${first.line}, column ${first.column}: ${first.message}` : 'the template does not compile';
      throw new OnrampError('ONRAMP_ERR_TEMPLATE_INVALID', [outcome.problems.length, summaryText], { details: { problems: outcome.problems } });
    }
    return outcome.template;
  }

  async listTemplates(): Promise<TemplateSummary[]> {
    return (await q.listTemplates(this.o.db)).map(summary);
  }

  async getTemplate(id: number): Promise<TemplateDetail> {
    const row = await q.templateById(this.o.db, id);
    if (!row) throw notFound('template', id);
    const [version, usedBy] = await Promise.all([q.templateVersion(this.o.db, id, row.current_version), q.rulesUsingTemplate(this.o.db, id)]);
    const source = version?.source ?? '';
    const compiled = this.o.engine.compile(source, { assets: await this.assetNames() });
    return { ...summary(row), source, placeholders: compiled.ok ? [...compiled.template.placeholders] : [], usedBy };
  }

  async createTemplate(body: CreateTemplateBody, actor: string): Promise<TemplateDetail> {
    await this.compileForSave(body.source);
    const id = await this.o.db.transaction().execute((trx) =>
      q.insertTemplate(trx, {
        name: body.name,
        description: body.description ?? '',
        source: body.source,
        comment: body.comment ?? '',
        actor,
        now: this.#now(),
      }),
    );
    if (id === undefined) throw new OnrampError('ONRAMP_ERR_TEMPLATE_NAME_TAKEN', [body.name]);
    this.#changed('template', id);
    return this.getTemplate(id);
  }

  /** A new version from `baseVersion`; 409 when someone saved after it. */
  async updateTemplate(id: number, body: UpdateTemplateBody, actor: string): Promise<TemplateDetail> {
    const current = await q.templateById(this.o.db, id);
    if (!current) throw notFound('template', id);
    await this.compileForSave(body.source);
    const name = body.name ?? current.name;
    if (name !== current.name) {
      const holder = await q.templateIdByName(this.o.db, name);
      if (holder !== undefined && holder !== id) throw new OnrampError('ONRAMP_ERR_TEMPLATE_NAME_TAKEN', [name]);
    }
    await this.#addVersion(
      current,
      body.baseVersion,
      { name, description: body.description ?? current.description, source: body.source, comment: body.comment ?? '' },
      actor,
    );
    return this.getTemplate(id);
  }

  /** A new version with an old version's source (history is never rewritten). */
  async rollbackTemplate(id: number, version: number, baseVersion: number | undefined, comment: string | undefined, actor: string): Promise<TemplateDetail> {
    const current = await q.templateById(this.o.db, id);
    if (!current) throw notFound('template', id);
    const old = await q.templateVersion(this.o.db, id, version);
    if (!old) throw notFound(`version of template ${id}:`, version);
    await this.#addVersion(
      current,
      baseVersion ?? current.current_version,
      { name: current.name, description: current.description, source: old.source, comment: comment ?? `Rolled back to version ${version}` },
      actor,
    );
    return this.getTemplate(id);
  }

  async #addVersion(
    current: q.TemplateRow,
    baseVersion: number,
    v: { name: string; description: string; source: string; comment: string },
    actor: string,
  ): Promise<void> {
    const id = Number(current.id);
    const saved = await this.o.db.transaction().execute((trx) => q.addVersion(trx, id, baseVersion, { ...v, actor, now: this.#now() }));
    if (!saved) {
      const latest = (await q.templateById(this.o.db, id))?.current_version ?? current.current_version;
      throw new OnrampError('ONRAMP_ERR_VERSION_CONFLICT', [current.name, baseVersion, latest]);
    }
    this.#changed('template', id);
  }

  async listVersions(id: number): Promise<TemplateVersionSummary[]> {
    if (!(await q.templateById(this.o.db, id))) throw notFound('template', id);
    return (await q.listVersions(this.o.db, id)).map(versionSummary);
  }

  async getVersion(id: number, version: number): Promise<TemplateVersion> {
    const row = await q.templateVersion(this.o.db, id, version);
    if (!row) throw notFound(`version of template ${id}:`, version);
    return { templateId: id, ...versionSummary(row), source: row.source };
  }

  async diff(id: number, from: number, to: number): Promise<TemplateDiff> {
    const [a, b] = await Promise.all([this.getVersion(id, from), this.getVersion(id, to)]);
    const patch = structuredPatch(`version ${from}`, `version ${to}`, a.source, b.source, '', '', { context: 3 });
    return {
      templateId: id,
      from,
      to,
      unified: createTwoFilesPatch(`version ${from}`, `version ${to}`, a.source, b.source, '', '', { context: 3 }),
      hunks: patch.hunks.map((h) => ({ oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, lines: h.lines })),
    };
  }

  /** Refused (409) while a rule chooses the template. */
  async deleteTemplate(id: number): Promise<void> {
    const row = await q.templateById(this.o.db, id);
    if (!row) throw notFound('template', id);
    await this.o.db.transaction().execute(async (trx) => {
      const users = await q.rulesUsingTemplate(trx, id);
      if (users.length > 0) throw new OnrampError('ONRAMP_ERR_TEMPLATE_IN_USE', [row.name, users.map((r) => `${r.name} (#${r.id})`).join(', ')]);
      await q.deleteTemplate(trx, id);
    });
    this.#changed('template', id);
  }

  // ------------------------------------------------------------------------------------------------ rules

  async listRules(): Promise<Rule[]> {
    return (await q.listRules(this.o.db)).map(ruleFromRow);
  }

  async getRule(id: number): Promise<Rule> {
    const row = await q.ruleById(this.o.db, id);
    if (!row) throw notFound('rule', id);
    return ruleFromRow(row);
  }

  async #ruleValues(input: RuleInput, actor: string): Promise<q.RuleValues> {
    const problem = windowProblem(input.window);
    if (problem) throw new OnrampError('ONRAMP_ERR_RULE_INVALID', [problem]);
    if (!(await q.templateById(this.o.db, input.templateId))) throw new OnrampError('ONRAMP_ERR_RULE_INVALID', [`there is no template ${input.templateId}`]);
    return {
      name: input.name,
      enabled: input.enabled ? 1 : 0,
      kind: input.kind,
      template_id: input.templateId,
      defaults: input.defaults,
      conditions: JSON.stringify(input.conditions),
      exclusions: JSON.stringify(input.exclusions),
      window_from: input.window?.from ?? null,
      window_to: input.window?.to ?? null,
      window_time_zone: input.window?.timeZone ?? null,
      updated_at: this.#now(),
      updated_by: actor,
    };
  }

  async createRule(input: RuleInput, actor: string): Promise<Rule> {
    const values = await this.#ruleValues(input, actor);
    const id = await this.o.db.transaction().execute((trx) => q.insertRule(trx, values));
    await this.#rulesChanged(id);
    return this.getRule(id);
  }

  async updateRule(id: number, input: RuleInput, actor: string): Promise<Rule> {
    const values = await this.#ruleValues(input, actor);
    if (!(await q.updateRule(this.o.db, id, values))) throw notFound('rule', id);
    await this.#rulesChanged(id);
    return this.getRule(id);
  }

  async deleteRule(id: number): Promise<void> {
    const deleted = await this.o.db.transaction().execute(async (trx) => {
      if (!(await q.deleteRule(trx, id))) return false;
      await q.setRuleOrder(trx, await q.ruleIds(trx));
      return true;
    });
    if (!deleted) throw notFound('rule', id);
    await this.#rulesChanged(id);
  }

  /** `ids`: every rule exactly once, highest priority first. */
  async reorderRules(ids: readonly number[]): Promise<Rule[]> {
    await this.o.db.transaction().execute(async (trx) => {
      const existing = await q.ruleIds(trx);
      const given = new Set(ids);
      if (given.size !== ids.length || given.size !== existing.length || existing.some((id) => !given.has(id))) {
        throw new OnrampError('ONRAMP_ERR_RULE_INVALID', [
          `the order must list every rule exactly once (there are ${existing.length}: ${existing.join(', ')})`,
        ]);
      }
      await q.setRuleOrder(trx, ids);
    });
    await this.#rulesChanged('order');
    return this.listRules();
  }

  async #rulesChanged(id: number | string): Promise<void> {
    await this.trackGroups();
    this.#changed('rule', id);
  }

  /** Every group rules and variables name (and other features' sources), for the directory to keep their members. */
  async namedGroups(): Promise<NamedGroup[]> {
    const groups: NamedGroup[] = [];
    for (const rule of await this.listRules()) groups.push(...(rule.conditions.groups ?? []), ...(rule.exclusions.groups ?? []));
    groups.push(...(await q.variableGroups(this.o.db)));
    for (const source of this.#groupSources) groups.push(...(await source()));
    return groups;
  }

  /**
   * Another feature names groups too (branding assignments): the directory tracks exactly one set, so
   * theirs join this store's, and `trackGroups()` is called when they change.
   */
  addGroupSource(source: () => Promise<NamedGroup[]>): void {
    this.#groupSources.push(source);
  }

  async trackGroups(): Promise<void> {
    await this.o.groups?.track(await this.namedGroups());
  }

  // ----------------------------------------------------------------------------------------------- imports

  /**
   * Stores a whole imported setup (assets, custom variables, templates, rules after the existing ones) in
   * one transaction: everything is checked first, and any failure stores nothing. Variables that exist
   * already are kept as they are.
   */
  async importBundle(bundle: ImportBundle, actor: string): Promise<{ templateIds: Record<string, number>; ruleIds: number[] }> {
    const images = await Promise.all(bundle.assets.map(async (a) => ({ ...a, image: await inspectImage(a.bytes, this.o.maxAssetBytes) })));
    const existing = new Set((await q.listVariables(this.o.db)).map((v) => v.variable.name));
    const variables = [...existing, ...bundle.variables.map((v) => v.name)];
    for (const template of bundle.templates) {
      const outcome = this.o.engine.compile(template.source, { variables });
      if (!outcome.ok) {
        const first = outcome.problems[0];
        throw new OnrampError(
          'ONRAMP_ERR_TEMPLATE_INVALID',
          [outcome.problems.length, `${template.name}: line ${first?.line}, column ${first?.column}: ${first?.message}`],
          {
            details: { problems: outcome.problems },
          },
        );
      }
    }
    for (const rule of bundle.rules) {
      const problem = windowProblem(rule.window);
      if (problem) throw new OnrampError('ONRAMP_ERR_RULE_INVALID', [`${rule.name}: ${problem}`]);
    }
    const now = this.#now();
    const stored = await this.o.db.transaction().execute(async (trx) => {
      for (const { image, bytes, originalName } of images) {
        await q.insertAsset(trx, {
          hash: image.hash,
          content_type: image.contentType,
          size: bytes.length,
          width: image.width,
          height: image.height,
          original_name: originalName.slice(0, 255),
          uploaded_by: actor,
          uploaded_at: now,
          bytes,
        });
      }
      for (const variable of bundle.variables) {
        if (existing.has(variable.name)) continue;
        await q.replaceVariable(trx, {
          variable: { name: variable.name, description: variable.description, default_value: '', updated_at: now, updated_by: actor },
          users: [],
          groups: [],
        });
      }
      const templateIds: Record<string, number> = {};
      for (const template of bundle.templates) {
        const id = await q.insertTemplate(trx, {
          name: template.name,
          description: template.description,
          source: template.source,
          comment: template.comment,
          actor,
          now,
        });
        if (id === undefined) throw new OnrampError('ONRAMP_ERR_TEMPLATE_NAME_TAKEN', [template.name]);
        templateIds[template.key] = id;
      }
      const ruleIds: number[] = [];
      for (const { templateKey, ...rule } of bundle.rules) {
        const templateId = templateIds[templateKey];
        if (templateId === undefined) throw new OnrampError('ONRAMP_ERR_RULE_INVALID', [`${rule.name}: no imported template ${templateKey}`]);
        ruleIds.push(
          await q.insertRule(trx, {
            name: rule.name,
            enabled: rule.enabled ? 1 : 0,
            kind: rule.kind,
            template_id: templateId,
            defaults: rule.defaults,
            conditions: JSON.stringify(rule.conditions),
            exclusions: JSON.stringify(rule.exclusions),
            window_from: rule.window?.from ?? null,
            window_to: rule.window?.to ?? null,
            window_time_zone: rule.window?.timeZone ?? null,
            updated_at: now,
            updated_by: actor,
          }),
        );
      }
      return { templateIds, ruleIds };
    });
    for (const { image } of images) this.#changed('asset', image.hash);
    for (const variable of bundle.variables) this.#changed('variable', variable.name);
    for (const id of Object.values(stored.templateIds)) this.#changed('template', id);
    await this.#rulesChanged('import');
    return stored;
  }

  // -------------------------------------------------------------------------------------------- variables

  async listVariables(): Promise<Variable[]> {
    return (await q.listVariables(this.o.db)).map(({ variable, users, groups }) => ({
      name: variable.name,
      description: variable.description,
      defaultValue: variable.default_value,
      userValues: users.map((u) => ({ upn: u.upn_lower, value: u.value })),
      groupValues: groups.map((g) => ({ group: { id: g.group_id, displayName: g.group_name }, value: g.value })),
      updatedAt: variable.updated_at,
      updatedBy: variable.updated_by,
    }));
  }

  async putVariable(name: string, input: VariableInput, actor: string): Promise<Variable> {
    const users = new Map((input.userValues ?? []).map((u) => [u.upn.trim().toLowerCase(), u.value]));
    await this.o.db.transaction().execute((trx) =>
      q.replaceVariable(trx, {
        variable: { name, description: input.description ?? '', default_value: input.defaultValue, updated_at: this.#now(), updated_by: actor },
        users: [...users].map(([upn_lower, value]) => ({ upn_lower, value })),
        groups: (input.groupValues ?? []).map((g) => ({ group_id: g.group.id, group_name: g.group.displayName, value: g.value })),
      }),
    );
    await this.trackGroups();
    this.#changed('variable', name);
    return (await this.listVariables()).find((v) => v.name === name)!;
  }

  async deleteVariable(name: string): Promise<void> {
    if (!(await this.o.db.transaction().execute((trx) => q.deleteVariable(trx, name)))) throw notFound('variable', name);
    await this.trackGroups();
    this.#changed('variable', name);
  }

  // ----------------------------------------------------------------------------------------------- assets

  /** Stores an image (PNG, JPEG, GIF by content); the same bytes again return the stored asset. */
  async uploadAsset(bytes: Buffer, originalName: string, actor: string): Promise<Asset> {
    const image = await inspectImage(bytes, this.o.maxAssetBytes);
    await q.insertAsset(this.o.db, {
      hash: image.hash,
      content_type: image.contentType,
      size: bytes.length,
      width: image.width,
      height: image.height,
      original_name: originalName.slice(0, 255),
      uploaded_by: actor,
      uploaded_at: this.#now(),
      bytes,
    });
    this.#changed('asset', image.hash);
    return assetView((await q.assetMeta(this.o.db, image.hash))!);
  }

  async listAssets(): Promise<Asset[]> {
    return (await q.listAssets(this.o.db)).map(assetView);
  }

  /** Template images by name (`asset:logo`): the newest upload of each name. */
  async assetNames(): Promise<Record<string, string>> {
    return assetNamesOf(await q.listAssets(this.o.db));
  }

  async assetBytes(hash: string): Promise<{ contentType: string; bytes: Buffer } | undefined> {
    const [row] = await q.assetsByHash(this.o.db, [hash]);
    return row ? { contentType: row.content_type, bytes: Buffer.from(row.bytes) } : undefined;
  }

  async deleteAsset(hash: string): Promise<void> {
    if (!(await q.deleteAsset(this.o.db, hash))) throw notFound('asset', hash);
    this.#changed('asset', hash);
  }
}
