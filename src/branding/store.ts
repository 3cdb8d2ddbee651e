/**
 * Branding's stored things: uploaded files (checked by content, kept by hash in the file store, their
 * descriptions in the database) and the assignments that choose them. Every change tells the
 * listeners (the manifest planner drops what it planned).
 */
import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { windowProblem } from '../directory/criteria.js';
import { OnrampError } from '../errors.js';
import type { Clock } from '../lib/clock.js';
import type { Assignment, AssignmentCriteria, AssignmentInput, BrandingAsset, BrandingElement } from './branding.schemas.js';
import type { BrandingFileStore, StagedFile } from './file-store.js';
import { inspectBrandingFile, teamsThumbnail, type InspectLimits } from './inspect.js';
import * as q from './branding.queries.js';

export interface BrandingStoreOptions {
  db: Kysely<Database>;
  files: BrandingFileStore;
  limits: InspectLimits;
  clock: Clock;
  /** Told after assignments changed, so the directory tracks the groups they name (awaited, as signature rules' saves are). */
  groupsChanged?: (() => Promise<void>) | undefined;
}

/** What an assignment's row keeps in `settings`. */
interface AssignmentSettings {
  assets: string[];
  screensaver?: { timeoutSeconds: number; secure: boolean };
}

const notFound = (what: string, id: string | number) => new OnrampError('ONRAMP_ERR_BRANDING_NOT_FOUND', [what, String(id)]);

export function toAssignment(row: q.AssignmentRow): Assignment {
  const settings = JSON.parse(row.settings) as AssignmentSettings;
  return {
    id: Number(row.id),
    priority: row.priority,
    name: row.name,
    enabled: row.enabled === 1,
    element: row.element as BrandingElement,
    assets: settings.assets,
    ...(settings.screensaver ? { screensaver: settings.screensaver } : {}),
    conditions: JSON.parse(row.conditions) as AssignmentCriteria,
    exclusions: JSON.parse(row.exclusions) as AssignmentCriteria,
    window: row.window_from && row.window_to && row.window_time_zone ? { from: row.window_from, to: row.window_to, timeZone: row.window_time_zone } : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export class BrandingStore {
  readonly #listeners: Array<() => void> = [];

  constructor(private readonly o: BrandingStoreOptions) {}

  /** Told after every change of files or assignments made through this store. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }

  // ------------------------------------------------------------------------------------------- assets

  /**
   * Checks an upload by its content and keeps it. `source` is streamed to a temporary file while it is
   * hashed (videos are tens of megabytes); `truncated()` says whether the upload hit the multipart size
   * limit. A refused file leaves nothing behind. Uploading the same bytes again answers the stored file.
   */
  async upload(source: Readable, name: string, actor: string, truncated: () => boolean): Promise<BrandingAsset> {
    const staged = await this.o.files.stage(source);
    try {
      if (truncated()) {
        throw new OnrampError('ONRAMP_ERR_BRANDING_FILE_REJECTED', [
          `the file is over the largest allowed size (branding.maxImageBytes ${this.o.limits.maxImageBytes}, branding.maxVideoBytes ${this.o.limits.maxVideoBytes})`,
        ]);
      }
      const inspected = await inspectBrandingFile(staged, this.o.limits, name);
      const thumbnail = inspected.media === 'image' ? await teamsThumbnail(staged.path) : undefined;
      const thumbnailSha256 = thumbnail ? await this.o.files.putBytes(thumbnail) : null;
      await this.o.files.keep(staged);
      await q.insertAsset(this.o.db, {
        sha256: staged.sha256,
        media: inspected.media,
        content_type: inspected.contentType,
        size: staged.size,
        width: inspected.width,
        height: inspected.height,
        name: name.slice(0, 200) || staged.sha256,
        thumbnail_sha256: thumbnailSha256,
        thumbnail_size: thumbnail?.length ?? null,
        uploaded_by: actor,
        uploaded_at: this.o.clock.now().toISOString(),
      });
    } catch (err) {
      await this.o.files.discard(staged);
      throw err;
    }
    this.#changed();
    return this.#asset(staged);
  }

  async #asset(staged: StagedFile): Promise<BrandingAsset> {
    const found = (await this.listAssets([staged.sha256]))[0];
    if (!found) throw notFound('file', staged.sha256);
    return found;
  }

  /** Newest first; `only`: just these hashes. */
  async listAssets(only?: readonly string[]): Promise<BrandingAsset[]> {
    const [rows, assignments] = await Promise.all([only ? q.assetsByHash(this.o.db, only) : q.listAssets(this.o.db), this.listAssignments()]);
    return rows.map((r) => ({
      sha256: r.sha256,
      media: r.media as BrandingAsset['media'],
      contentType: r.content_type,
      size: Number(r.size),
      width: r.width,
      height: r.height,
      name: r.name,
      thumbnailSha256: r.thumbnail_sha256,
      uploadedBy: r.uploaded_by,
      uploadedAt: r.uploaded_at,
      usedBy: assignments.filter((a) => a.assets.includes(r.sha256)).map((a) => ({ id: a.id, name: a.name })),
    }));
  }

  /** Refused (409) while an assignment uses it; the file and its thumbnail go with the row. */
  async deleteAsset(sha256: string): Promise<void> {
    const [asset] = await this.listAssets([sha256]);
    if (!asset) throw notFound('file', sha256);
    if (asset.usedBy.length > 0) throw new OnrampError('ONRAMP_ERR_BRANDING_ASSET_IN_USE', [asset.name, asset.usedBy.map((a) => a.name).join(', ')]);
    await q.deleteAsset(this.o.db, sha256);
    await this.o.files.remove(sha256);
    if (asset.thumbnailSha256 && !(await q.thumbnailInUse(this.o.db, asset.thumbnailSha256))) await this.o.files.remove(asset.thumbnailSha256);
    this.#changed();
  }

  // -------------------------------------------------------------------------------------- assignments

  async listAssignments(): Promise<Assignment[]> {
    return (await q.listAssignments(this.o.db)).map(toAssignment);
  }

  async getAssignment(id: number): Promise<Assignment> {
    const row = await q.getAssignment(this.o.db, id);
    if (!row) throw notFound('assignment', id);
    return toAssignment(row);
  }

  async createAssignment(input: AssignmentInput, actor: string): Promise<Assignment> {
    const values = await this.#values(input, actor);
    const id = await this.o.db.transaction().execute((trx) => q.insertAssignment(trx, values));
    await this.o.groupsChanged?.();
    this.#changed();
    return this.getAssignment(id);
  }

  async updateAssignment(id: number, input: AssignmentInput, actor: string): Promise<Assignment> {
    if (!(await q.updateAssignment(this.o.db, id, await this.#values(input, actor)))) throw notFound('assignment', id);
    await this.o.groupsChanged?.();
    this.#changed();
    return this.getAssignment(id);
  }

  async deleteAssignment(id: number): Promise<void> {
    const deleted = await this.o.db.transaction().execute(async (trx) => {
      if (!(await q.deleteAssignment(trx, id))) return false;
      await q.setAssignmentOrder(trx, await q.assignmentIds(trx));
      return true;
    });
    if (!deleted) throw notFound('assignment', id);
    await this.o.groupsChanged?.();
    this.#changed();
  }

  /** `ids`: every assignment exactly once, highest priority first. */
  async reorderAssignments(ids: readonly number[]): Promise<Assignment[]> {
    await this.o.db.transaction().execute(async (trx) => {
      const existing = await q.assignmentIds(trx);
      const given = new Set(ids);
      if (given.size !== ids.length || given.size !== existing.length || existing.some((id) => !given.has(id))) {
        throw new OnrampError('ONRAMP_ERR_ASSIGNMENT_INVALID', [
          `the order must list every assignment exactly once (there are ${existing.length}: ${existing.join(', ')})`,
        ]);
      }
      await q.setAssignmentOrder(trx, ids);
    });
    this.#changed();
    return this.listAssignments();
  }

  /** Checks what the schema cannot (the files exist and fit the element) and makes the row's values. */
  async #values(input: AssignmentInput, actor: string): Promise<q.AssignmentValues> {
    const refuse = (reason: string) => new OnrampError('ONRAMP_ERR_ASSIGNMENT_INVALID', [reason]);
    const problem = windowProblem(input.window);
    if (problem) throw refuse(problem);
    if (input.element !== 'teamsBackgrounds' && input.assets.length !== 1) throw refuse(`${input.element} takes exactly one file`);
    if (input.element === 'screensaver' && !input.screensaver) throw refuse('a screensaver needs its settings (timeoutSeconds, secure)');
    if (input.element !== 'screensaver' && input.screensaver) throw refuse(`screensaver settings do not apply to ${input.element}`);
    const rows = new Map((await q.assetsByHash(this.o.db, input.assets)).map((r) => [r.sha256, r]));
    for (const sha256 of input.assets) {
      const row = rows.get(sha256);
      if (!row) throw refuse(`no uploaded file ${sha256}`);
      if (input.element !== 'screensaver' && row.media !== 'image') throw refuse(`${row.name} is a video; ${input.element} takes images`);
    }
    const settings: AssignmentSettings = { assets: input.assets, ...(input.screensaver ? { screensaver: input.screensaver } : {}) };
    return {
      name: input.name,
      enabled: input.enabled ? 1 : 0,
      element: input.element,
      settings: JSON.stringify(settings),
      conditions: JSON.stringify(input.conditions),
      exclusions: JSON.stringify(input.exclusions),
      window_from: input.window?.from ?? null,
      window_to: input.window?.to ?? null,
      window_time_zone: input.window?.timeZone ?? null,
      updated_at: this.o.clock.now().toISOString(),
      updated_by: actor,
    };
  }

  /** Every group assignments name, for the directory to keep their members. */
  async namedGroups(): Promise<Array<{ id: string; displayName: string }>> {
    return (await this.listAssignments()).flatMap((a) => [...(a.conditions.groups ?? []), ...(a.exclusions.groups ?? [])]);
  }

  /** Files by hash, for the manifest (content type, size); uploaded files only. */
  async filesByHash(hashes: readonly string[]): Promise<Map<string, q.AssetRow>> {
    return new Map((await q.assetsByHash(this.o.db, hashes)).map((r) => [r.sha256, r]));
  }

  /** What a device may download by hash (an uploaded file or a thumbnail), or undefined. */
  servableFile(sha256: string): Promise<{ contentType: string; size: number } | undefined> {
    return q.servableFile(this.o.db, sha256);
  }
}
