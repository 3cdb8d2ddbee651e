/**
 * Decides and renders a mailbox's signatures from the store (SignaturePlanner): the subject from the
 * directory copy (user, manager, groups, custom variables, photos), the rules, the current template
 * versions, banners appended. Also answers "why this signature?" (explain) and renders previews.
 *
 * A mailbox is a directory entry found by mail address or UPN; its subject's user is that entry, so a
 * shared mailbox (a user object with mail, usually sign-in disabled) renders with its own attributes.
 * Compiled templates are cached per template version (versions never change); rules, current versions
 * and shared variable values for a second (and dropped at once on a change in this process); assets for
 * good (content-addressed).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DirectoryFacts, DirectoryPerson } from '../directory/directory-facts.js';
import { OnrampError } from '../errors.js';
import type { Clock } from '../lib/clock.js';
import type { ChosenTemplate, Explanation, Preview, PreviewBody } from './admin.schemas.js';
import type { CompiledSignatureTemplate, SignatureEngine } from './engine.js';
import type {
  ExpectedMailboxSignatures,
  ExpectedSignature,
  PersonAttributes,
  PhotoSource,
  RenderedSignature,
  SignatureImage,
  SignaturePlanner,
  SignatureSubject,
  SignatureUse,
} from './model.js';
import { isTimeZone } from '../lib/time-zones.js';
import { evaluateRules, type RuleDefinition, type RulesOutcome, type SubjectFacts } from './rules.js';
import type { SignatureStore } from './store.js';
import { ruleDefinition } from './store.js';
import * as q from './store.queries.js';

const SNAPSHOT_TTL_MS = 1000;
const MAX_COMPILED = 500;
const MAX_ASSETS = 200;
/** A photo that is not there in this time is left out: a signature never waits on Graph. */
const PHOTO_WAIT_MS = 2000;

interface Snapshot {
  at: number;
  rules: RuleDefinition[];
  /** Current version of every template a rule uses. */
  versions: Map<number, { version: number; source: string; name: string }>;
  /** Mailboxes rules list (lower-cased), which come into scope even when their account is disabled. */
  listedMailboxes: string[];
  variables: Awaited<ReturnType<typeof q.sharedVariableValues>>;
  knownGroups: ReadonlySet<string>;
  /** Template images by name → the newest upload's hash: a re-uploaded logo shows in every version that names it. */
  assetNames: Record<string, string>;
}

export interface PlannerOptions {
  db: Kysely<Database>;
  store: SignatureStore;
  engine: SignatureEngine;
  directory: DirectoryFacts;
  clock: Clock;
  /** Rendering time zone (signatures.timeZone). */
  timeZone: string;
  photos?: PhotoSource | undefined;
}

export class StoredSignaturePlanner implements SignaturePlanner {
  #snapshot: Snapshot | undefined;
  readonly #compiled = new Map<string, CompiledSignatureTemplate | null>();
  /** The asset names the compiled templates resolved: when they point elsewhere, everything compiles again. */
  #compiledAssetNames = '{}';
  readonly #assets = new Map<string, SignatureImage>();

  constructor(private readonly o: PlannerOptions) {
    o.store.onChange(() => {
      this.#snapshot = undefined;
    });
  }

  async #rules(): Promise<Snapshot> {
    const now = Date.now();
    if (this.#snapshot && now - this.#snapshot.at < SNAPSHOT_TTL_MS) return this.#snapshot;
    const rules = (await this.o.store.listRules()).map(ruleDefinition);
    const [rows, variables, knownGroups, assetNames] = await Promise.all([
      q.currentVersions(this.o.db, [...new Set(rules.map((r) => r.templateId))]),
      q.sharedVariableValues(this.o.db),
      this.o.directory.knownGroups(),
      this.o.store.assetNames(),
    ]);
    const namesKey = JSON.stringify(assetNames);
    if (namesKey !== this.#compiledAssetNames) {
      this.#compiled.clear();
      this.#compiledAssetNames = namesKey;
    }
    const listed = new Set<string>();
    for (const r of rules) if (r.enabled) for (const m of r.conditions.mailboxes ?? []) listed.add(m.trim().toLowerCase());
    this.#snapshot = {
      at: now,
      rules,
      versions: new Map(rows.map((r) => [Number(r.template_id), { version: r.version, source: r.source, name: r.name }])),
      listedMailboxes: [...listed].sort(),
      variables,
      knownGroups,
      assetNames,
    };
    return this.#snapshot;
  }

  /** Compiled once per source (a template version, or a version with its banners appended); null: it does not compile. */
  #compile(snapshot: Snapshot, key: string, source: string): CompiledSignatureTemplate | null {
    let compiled = this.#compiled.get(key);
    if (compiled === undefined) {
      const outcome = this.o.engine.compile(source, { assets: snapshot.assetNames });
      compiled = outcome.ok ? outcome.template : null;
      if (this.#compiled.size >= MAX_COMPILED) this.#compiled.clear();
      this.#compiled.set(key, compiled);
    }
    return compiled;
  }

  async #loadAssets(wanted: readonly string[]): Promise<ReadonlyMap<string, SignatureImage>> {
    const missing = wanted.filter((h) => !this.#assets.has(h));
    if (missing.length > 0) {
      if (this.#assets.size + missing.length > MAX_ASSETS) this.#assets.clear();
      for (const row of await q.assetsByHash(this.o.db, missing)) {
        this.#assets.set(row.hash, {
          hash: row.hash,
          contentType: row.content_type as SignatureImage['contentType'],
          bytes: Buffer.from(row.bytes),
          width: row.width,
          height: row.height,
        });
      }
    }
    return new Map(wanted.flatMap((h) => (this.#assets.has(h) ? [[h, this.#assets.get(h)!] as const] : [])));
  }

  async #photo(person: DirectoryPerson | null): Promise<SignatureImage | undefined> {
    const photos = this.o.photos;
    if (!photos || !person) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), PHOTO_WAIT_MS);
      timer.unref();
    });
    try {
      return await Promise.race([photos.photoOf(person.id).catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The directory subject of a mailbox, with the facts rules look at. */
  async #subjectOf(person: DirectoryPerson): Promise<{ subject: SignatureSubject; facts: SubjectFacts }> {
    // Independent reads go out together: on PostgreSQL each is a round trip.
    const [manager, groupIds] = await Promise.all([
      person.managerId ? this.o.directory.personById(person.managerId) : null,
      this.o.directory.groupIdsOf(person.id),
    ]);
    const [variables, userPhoto, managerPhoto] = await Promise.all([this.#variablesOf(person, groupIds), this.#photo(person), this.#photo(manager)]);
    const photos = {
      ...(userPhoto ? { user: userPhoto, mailbox: userPhoto } : {}),
      ...(managerPhoto ? { manager: managerPhoto, mailboxManager: managerPhoto } : {}),
    };
    const subject: SignatureSubject = {
      user: person.attributes,
      manager: manager?.attributes ?? null,
      mailbox: person.attributes,
      mailboxManager: manager?.attributes ?? null,
      variables,
      photos,
    };
    const facts: SubjectFacts = {
      userPrincipalName: person.userPrincipalName,
      mailbox: (person.mail ?? person.userPrincipalName).toLowerCase(),
      attributes: person.attributes,
      groupIds,
      knownGroups: (await this.#rules()).knownGroups,
    };
    return { subject, facts };
  }

  /** Each variable: the user's own value over the first listed group they are in over the default. */
  async #variablesOf(person: DirectoryPerson, groupIds: ReadonlySet<string>): Promise<Record<string, string>> {
    const shared = (await this.#rules()).variables;
    const out: Record<string, string> = {};
    for (const d of shared.defaults) out[d.name] = d.default_value;
    for (const g of shared.groups) if (groupIds.has(g.group_id)) out[g.variable_name] = g.value;
    if (shared.anyUserValues)
      for (const own of await q.userVariableValues(this.o.db, person.userPrincipalName.toLowerCase())) out[own.variable_name] = own.value;
    return out;
  }

  async #person(key: string): Promise<DirectoryPerson> {
    const person = await this.o.directory.person(key);
    if (!person) throw new OnrampError('ONRAMP_ERR_SIGNATURE_ITEM_NOT_FOUND', ['directory user', key]);
    return person;
  }

  async expectedFor(mailbox: string, at?: Date): Promise<ExpectedMailboxSignatures | null> {
    const person = await this.o.directory.person(mailbox);
    if (!person) return null;
    const now = at ?? this.o.clock.now();
    const snapshot = await this.#rules();
    const { subject, facts } = await this.#subjectOf(person);
    const outcome = evaluateRules(snapshot.rules, facts, now);
    const signatures: ExpectedSignature[] = [];
    for (const { chosen, defaultFor } of signatureSet(outcome)) {
      const rendered = await this.#render(snapshot, chosen, defaultFor, outcome, subject, now);
      if (rendered) signatures.push(rendered);
    }
    const setHash = createHash('sha256')
      .update(JSON.stringify(signatures.map((s) => [s.name, s.defaultFor, s.rendered.hash])))
      .digest('hex');
    return { mailbox: facts.mailbox, userPrincipalName: person.userPrincipalName, signatures, verdicts: outcome.verdicts, setHash };
  }

  async #render(
    snapshot: Snapshot,
    chosen: ChosenTemplate,
    defaultFor: SignatureUse[],
    outcome: RulesOutcome,
    subject: SignatureSubject,
    now: Date,
  ): Promise<ExpectedSignature | undefined> {
    const template = snapshot.versions.get(chosen.templateId);
    if (!template) return undefined;
    // Banners whose uses meet this signature's defaults (none named: every signature) go at its end.
    const banners = outcome.banners.flatMap((b) => {
      const banner = snapshot.versions.get(b.templateId);
      const applies = b.uses.length === 0 || b.uses.some((use) => defaultFor.includes(use));
      return banner && applies && b.templateId !== chosen.templateId ? [{ id: b.templateId, ...banner }] : [];
    });
    const key = [`${chosen.templateId}:${template.version}`, ...banners.map((b) => `${b.id}:${b.version}`)].join('+');
    const source = [template.source, ...banners.map((b) => b.source)].join('\n');
    // A combination that does not compile (it cannot, as each part did on save) falls back to the template alone.
    const compiled = this.#compile(snapshot, key, source) ?? this.#compile(snapshot, `${chosen.templateId}:${template.version}`, template.source);
    if (!compiled) return undefined;
    const rendered = compiled.render(subject, { name: template.name, now, timeZone: this.o.timeZone, assets: await this.#loadAssets(compiled.assets) });
    return { templateId: chosen.templateId, templateVersion: template.version, name: template.name, defaultFor, rendered };
  }

  /** Enabled users with mail from the directory copy, and the mailboxes rules list, in order. */
  async mailboxesInScope(after: string | null, limit: number): Promise<string[]> {
    const fromDirectory = await this.o.directory.mailboxes(after, limit);
    const listed = (await this.#rules()).listedMailboxes.filter((m) => after === null || m > after);
    const known: string[] = [];
    for (const m of listed) if (!fromDirectory.includes(m) && (await this.o.directory.person(m))) known.push(m);
    return [...new Set([...fromDirectory, ...known])].sort().slice(0, limit);
  }

  /** "Why this signature?" for a directory user or mailbox at a moment. */
  async explain(key: string, at = this.o.clock.now()): Promise<Explanation> {
    const person = await this.#person(key);
    const { facts } = await this.#subjectOf(person);
    const outcome = evaluateRules((await this.#rules()).rules, facts, at);
    return {
      user: person.userPrincipalName,
      mailbox: facts.mailbox,
      at: at.toISOString(),
      newMail: outcome.newMail,
      reply: outcome.reply,
      offered: outcome.offered,
      banners: outcome.banners.map(({ uses: _, ...b }) => b),
      verdicts: outcome.verdicts,
    };
  }

  /** Renders a saved version or unsaved source for a directory user or made-up people; problems → 400 as on save. */
  async preview(body: PreviewBody): Promise<Preview> {
    const timeZone = body.timeZone ?? this.o.timeZone;
    if (!isTimeZone(timeZone)) throw new OnrampError('ONRAMP_ERR_VALIDATION', [`timeZone: unknown time zone ${timeZone}`]);
    let source: string;
    let name = body.name;
    let compiled: CompiledSignatureTemplate;
    if (body.source !== undefined) {
      source = body.source;
      compiled = await this.o.store.compileForSave(source);
    } else if (body.templateId !== undefined) {
      const template = await this.o.store.getTemplate(body.templateId);
      const version = body.version === undefined ? template : await this.o.store.getVersion(body.templateId, body.version);
      source = version.source;
      name ??= template.name;
      const outcome = this.o.engine.compile(source, { assets: await this.o.store.assetNames() });
      if (!outcome.ok)
        throw new OnrampError('ONRAMP_ERR_TEMPLATE_INVALID', [outcome.problems.length, 'the stored version no longer compiles'], {
          details: { problems: outcome.problems },
        });
      compiled = outcome.template;
    } else throw new OnrampError('ONRAMP_ERR_VALIDATION', ['body needs templateId or source']);

    let subject: SignatureSubject;
    if (body.user !== undefined) subject = (await this.#subjectOf(await this.#person(body.user))).subject;
    else if (body.person) {
      const person = (p: Readonly<Record<string, string>> | undefined): PersonAttributes | null => (p ? { ...p } : null);
      const user = person(body.person.user) ?? {};
      subject = {
        user,
        manager: person(body.person.manager),
        mailbox: person(body.person.mailbox) ?? user,
        mailboxManager: person(body.person.manager),
        variables: body.person.variables ?? {},
        photos: {},
      };
    } else throw new OnrampError('ONRAMP_ERR_VALIDATION', ['body needs user (a directory user) or person (made-up attributes)']);

    const now = body.at ? new Date(body.at) : this.o.clock.now();
    const rendered: RenderedSignature = compiled.render(subject, { name: name ?? 'Preview', now, timeZone, assets: await this.#loadAssets(compiled.assets) });
    return {
      webHtml: rendered.webHtml,
      htm: rendered.htm,
      rtf: rendered.rtf,
      txt: rendered.txt,
      files: rendered.files.map((f) => ({ path: f.path, contentType: f.contentType, size: f.bytes.length, base64: f.bytes.toString('base64') })),
      hash: rendered.hash,
      placeholders: [...compiled.placeholders],
    };
  }

  /**
   * Renders sources that are not stored yet (an import's dry run) for a directory user, as web HTML: their
   * images and custom variables come with them instead of from the store (the variables have no values
   * yet, so blocks reading them drop out). A source that does not compile gets its first problem instead.
   */
  async previewUnsaved(
    user: string,
    sources: readonly { name: string; source: string }[],
    extra: { images: readonly SignatureImage[]; variables: readonly string[] },
  ): Promise<Array<{ name: string; webHtml: string } | { name: string; problem: string }>> {
    const { subject } = await this.#subjectOf(await this.#person(user));
    const [stored, assetNames] = await Promise.all([this.o.store.listVariables(), this.o.store.assetNames()]);
    const variables = [...stored.map((v) => v.name), ...extra.variables];
    const images = new Map(extra.images.map((image) => [image.hash, image] as const));
    const now = this.o.clock.now();
    return Promise.all(
      sources.map(async ({ name, source }) => {
        const outcome = this.o.engine.compile(source, { variables, assets: assetNames });
        if (!outcome.ok) {
          const first = outcome.problems[0];
          return { name, problem: first ? `line ${first.line}, column ${first.column}: ${first.message}` : 'the template does not compile' };
        }
        const wanted = outcome.template.assets.filter((hash) => !images.has(hash));
        const assets = new Map([...(await this.#loadAssets(wanted)), ...images]);
        return { name, webHtml: outcome.template.render(subject, { name, now, timeZone: this.o.timeZone, assets }).webHtml };
      }),
    );
  }
}

/** Each chosen template once, with the defaults it is. */
function signatureSet(outcome: RulesOutcome): Array<{ chosen: ChosenTemplate; defaultFor: SignatureUse[] }> {
  const out = new Map<number, { chosen: ChosenTemplate; defaultFor: SignatureUse[] }>();
  const add = (chosen: ChosenTemplate | null, use?: SignatureUse) => {
    if (!chosen) return;
    const entry = out.get(chosen.templateId) ?? { chosen, defaultFor: [] };
    if (use) entry.defaultFor.push(use);
    out.set(chosen.templateId, entry);
  };
  add(outcome.newMail, 'new');
  add(outcome.reply, 'reply');
  for (const offered of outcome.offered) add(offered);
  return [...out.values()];
}
