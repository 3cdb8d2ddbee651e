/**
 * Imports a Set-OutlookSignatures folder: its INI and every template it names become onramp templates,
 * rules, custom variables and assets, with a report of every mapping and of everything left out (file and
 * line). Planning is pure apart from group look-ups; storing goes through the store's one-transaction
 * importBundle, so a real run stores all or nothing and a dry run stores nothing.
 */
import { inspectImage } from '../assets.js';
import type { StoredSignaturePlanner } from '../planner.js';
import type { ImportBundle, SignatureStore } from '../store.js';
import { convertDocx, convertWordHtml, originalForDisplay, type ConvertedTemplate, type FolderFiles } from './convert.js';
import { readSosIni } from './ini.js';
import { placeholderExpression } from './placeholders.js';
import { type GroupLookup, mapSosRules } from './rules.js';

export interface ImportOptions {
  findGroup: GroupLookup;
  /** Where SOS time ranges without `Z` are read. */
  timeZone: string;
  /** The INI's path in the folder when it holds more than one. */
  iniPath?: string;
  /** Renders each imported template for one directory user, beside its original file (see `ImportPreview`). */
  preview?: { user: string; render: UnsavedRenderer };
}

/** Renders templates that are not stored yet, with the import's images and variables (the planner's previewUnsaved). */
export type UnsavedRenderer = (
  user: string,
  sources: { name: string; source: string }[],
  extra: { images: readonly Buffer[]; variables: readonly string[] },
) => Promise<Array<{ name: string; webHtml: string } | { name: string; problem: string }>>;

/** The planner's rendering of unsaved sources, given the import's images as the store would keep them. */
export function plannerPreview(planner: StoredSignaturePlanner, maxAssetBytes: number): UnsavedRenderer {
  return async (user, sources, extra) => {
    const images = await Promise.all(extra.images.map((bytes) => inspectImage(bytes, maxAssetBytes)));
    return planner.previewUnsaved(user, sources, { images, variables: extra.variables });
  };
}

/** One imported template for one user, beside the file it came from: the admin's check before rules go live. */
export interface ImportPreview {
  template: string;
  file: string;
  user: string;
  /** The original as a page (Word HTML with its images inlined; DOCX as mammoth reads it), SOS placeholders unreplaced. */
  original: string;
  /** onramp's web HTML for the user, or why it could not be rendered. */
  rendered: string | null;
  problem: string | null;
}

export interface ReportedTemplate {
  name: string;
  file: string;
  format: 'docx' | 'htm';
  assets: string[];
  placeholders: { sos: string; onramp: string; line: number }[];
}

export interface SosImportReport {
  iniFile: string;
  templates: ReportedTemplate[];
  rules: { priority: number; name: string; template: string; enabled: boolean; defaults: string; mappings: string[] }[];
  /** Custom variables created for what onramp cannot resolve: admins give them values. */
  variables: { name: string; from: string[] }[];
  assets: { path: string; hash: string }[];
  unmapped: { file: string; line: number; message: string }[];
  /** Whether anything was stored (false for a dry run or when the import failed). */
  stored: boolean;
  /** Present when a preview user was asked for. */
  previews?: ImportPreview[];
}

export interface SosImportPlan {
  report: SosImportReport;
  bundle: ImportBundle;
}

export class SosImportError extends Error {}

function findIni(files: FolderFiles, iniPath: string | undefined): string {
  if (iniPath !== undefined) {
    if (!files.has(iniPath)) throw new SosImportError(`the folder has no ${iniPath}`);
    return iniPath;
  }
  const inis = [...files.keys()].filter((path) => path.toLowerCase().endsWith('.ini'));
  const depth = (path: string) => path.split('/').length;
  const shallowest = Math.min(...inis.map(depth));
  const candidates = inis.filter((path) => depth(path) === shallowest);
  if (candidates.length === 0) throw new SosImportError('the folder has no .ini file (SOS template INI)');
  if (candidates.length > 1) throw new SosImportError(`the folder has several INI files (${candidates.join(', ')}): name the one to import`);
  return candidates[0]!;
}

export async function planSosImport(files: FolderFiles, options: ImportOptions): Promise<SosImportPlan> {
  const iniFile = findIni(files, options.iniPath);
  const folder = iniFile.includes('/') ? iniFile.slice(0, iniFile.lastIndexOf('/') + 1) : '';
  const ini = readSosIni(new TextDecoder('utf-8').decode(files.get(iniFile)!), iniFile);
  const report: SosImportReport = { iniFile, templates: [], rules: [], variables: [], assets: [], unmapped: [...ini.problems], stored: false };
  const bundle: ImportBundle = { assets: [], variables: [], templates: [], rules: [] };
  const byLowerPath = new Map([...files.keys()].map((path) => [path.toLowerCase(), path]));
  const converted = new Map<string, { path: string; result: ConvertedTemplate } | undefined>();
  const variableSources = new Map<string, Set<string>>();

  for (const section of ini.sections) {
    const key = section.file.toLowerCase();
    if (converted.has(key)) continue;
    const path = byLowerPath.get(`${folder}${section.file}`.toLowerCase());
    const extension = section.file.toLowerCase().split('.').pop();
    if (!path) {
      report.unmapped.push({ file: iniFile, line: section.line, message: `[${section.file}]: the folder has no such template: its rules are not imported` });
      converted.set(key, undefined);
      continue;
    }
    if (extension !== 'docx' && extension !== 'htm' && extension !== 'html') {
      report.unmapped.push({ file: iniFile, line: section.line, message: `[${section.file}]: only .docx and Word .htm templates can be imported` });
      converted.set(key, undefined);
      continue;
    }
    const bytes = files.get(path)!;
    const result = extension === 'docx' ? await convertDocx(path, bytes) : convertWordHtml(path, bytes, files);
    converted.set(key, { path, result });
    for (const note of result.notes) report.unmapped.push({ file: path, line: note.line ?? 0, message: note.message });
    for (const asset of result.assets) {
      if (!report.assets.some((a) => a.hash === asset.hash)) {
        report.assets.push({ path: asset.path, hash: asset.hash });
        // Named after its place in the SOS folder, so `image001` does not take over an existing `asset:image001`.
        bundle.assets.push({ bytes: asset.bytes, originalName: `sos-${asset.path.replace(/\//g, '-')}` });
      }
    }
    for (const use of result.placeholders) {
      if (use.placeholder.kind !== 'custom') continue;
      const sources = variableSources.get(use.placeholder.variable) ?? new Set<string>();
      sources.add(`${use.placeholder.sos} in ${path}${use.line ? `:${use.line}` : ''}`);
      variableSources.set(use.placeholder.variable, sources);
      report.unmapped.push({
        file: path,
        line: use.line,
        message: `${use.placeholder.sos} has no directory equivalent: it reads the new custom variable var.${use.placeholder.variable} (give it values)`,
      });
    }
  }
  for (const [name, sources] of variableSources) {
    report.variables.push({ name, from: [...sources] });
    bundle.variables.push({ name, description: `Imported from Set-OutlookSignatures (${[...sources].join('; ')})`.slice(0, 500) });
  }

  const templateKeys = new Map<string, string>();
  for (const section of ini.sections) {
    const entry = converted.get(section.file.toLowerCase());
    if (!entry) continue;
    const name = section.signatureName ?? section.file.replace(/\.[^.]+$/, '');
    const templateKey = `${section.file.toLowerCase()}|${name}`;
    if (templateKeys.has(templateKey)) continue;
    templateKeys.set(templateKey, name);
    bundle.templates.push({
      key: templateKey,
      name,
      description: `Imported from Set-OutlookSignatures: ${entry.path}`,
      source: entry.result.source,
      comment: 'Imported from Set-OutlookSignatures',
    });
    report.templates.push({
      name,
      file: entry.path,
      format: entry.path.toLowerCase().endsWith('.docx') ? 'docx' : 'htm',
      assets: entry.result.assets.map((a) => a.hash),
      placeholders: entry.result.placeholders.map((use) => ({
        sos: use.placeholder.sos,
        onramp: use.placeholder.kind === 'photo' ? `photo.${use.placeholder.namespace}` : placeholderExpression(use.placeholder),
        line: use.line,
      })),
    });
  }

  const mapped = await mapSosRules(
    { ...ini, sections: ini.sections.filter((s) => converted.get(s.file.toLowerCase())) },
    { findGroup: options.findGroup, timeZone: options.timeZone, iniFile },
  );
  report.unmapped.push(...mapped.problems);
  mapped.rules.forEach((rule, index) => {
    const section = ini.sections.find((s) => s.line === rule.sectionLine)!;
    const name = section.signatureName ?? section.file.replace(/\.[^.]+$/, '');
    const templateKey = `${section.file.toLowerCase()}|${name}`;
    bundle.rules.push({
      name: rule.name,
      enabled: rule.enabled,
      kind: 'signature',
      templateKey,
      defaults: rule.defaults,
      conditions: rule.conditions,
      exclusions: rule.exclusions,
      window: rule.window,
    });
    report.rules.push({ priority: index + 1, name: rule.name, template: name, enabled: rule.enabled, defaults: rule.defaults, mappings: rule.mappings });
  });
  return { report, bundle };
}

/** Plans, then (unless a dry run) stores everything in one transaction. */
export async function importSos(
  store: SignatureStore,
  files: FolderFiles,
  options: ImportOptions & { dryRun: boolean; actor: string },
): Promise<SosImportReport> {
  const { report, bundle } = await planSosImport(files, options);
  if (options.preview) report.previews = await previewImport(report, bundle, files, options.preview);
  if (options.dryRun) return report;
  await store.importBundle(bundle, options.actor);
  return { ...report, stored: true };
}

async function previewImport(
  report: SosImportReport,
  bundle: ImportBundle,
  files: FolderFiles,
  preview: NonNullable<ImportOptions['preview']>,
): Promise<ImportPreview[]> {
  const rendered = await preview.render(
    preview.user,
    bundle.templates.map((t) => ({ name: t.name, source: t.source })),
    { images: bundle.assets.map((a) => a.bytes), variables: bundle.variables.map((v) => v.name) },
  );
  return Promise.all(
    report.templates.map(async (template, index) => {
      const outcome = rendered[index]!;
      return {
        template: template.name,
        file: template.file,
        user: preview.user,
        original: await originalForDisplay(template.file, files.get(template.file)!, files),
        rendered: 'webHtml' in outcome ? outcome.webHtml : null,
        problem: 'problem' in outcome ? outcome.problem : null,
      };
    }),
  );
}

export function printSosReport(report: SosImportReport): string {
  const lines: string[] = [`Set-OutlookSignatures import from ${report.iniFile}${report.stored ? '' : ' (nothing stored)'}`, ''];
  lines.push(`Templates (${report.templates.length}):`);
  for (const t of report.templates) {
    lines.push(`  ${t.name} ← ${t.file} (${t.format}, ${t.assets.length} image(s))`);
    const seen = new Set<string>();
    for (const p of t.placeholders) {
      const text = `${p.sos} → ${p.onramp}`;
      if (seen.has(text)) continue;
      seen.add(text);
      lines.push(`    ${text}`);
    }
  }
  lines.push('', `Rules (${report.rules.length}, highest priority first):`);
  for (const r of report.rules) {
    lines.push(`  ${r.priority}. ${r.name} → ${r.template}${r.enabled ? '' : ' [DISABLED]'}`);
    for (const m of r.mappings) lines.push(`     ${m}`);
  }
  lines.push('', `Custom variables created (${report.variables.length}):`);
  for (const v of report.variables) lines.push(`  var.${v.name} ← ${v.from.join('; ')}`);
  lines.push('', `Images → assets (${report.assets.length}):`);
  for (const a of report.assets) lines.push(`  ${a.path} → asset:${a.hash.slice(0, 12)}…`);
  lines.push('', `Not mapped (${report.unmapped.length}):`);
  for (const u of report.unmapped) lines.push(`  ${u.file}${u.line ? `:${u.line}` : ''}: ${u.message}`);
  return `${lines.join('\n')}\n`;
}
