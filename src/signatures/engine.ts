/**
 * The template engine as the store, the preview and the planner use it: compile on save (problems with
 * line and column), render for a subject. The implementation is the Liquid-based engine in template/.
 */
import type { RenderedSignature, SignatureImage, SignatureSubject, TemplateProblem } from './model.js';

export interface RenderRequest {
  /** The Outlook signature name (`<name>.htm`, `<name>_files/`). */
  name: string;
  now: Date;
  timeZone: string;
  /** Template images by SHA-256 (already loaded: rendering does not wait on the database). */
  assets: ReadonlyMap<string, SignatureImage>;
}

export interface CompiledSignatureTemplate {
  readonly placeholders: readonly string[];
  /** The SHA-256 of every template image it shows (`asset:` by hash, or by name as resolved when compiled): load these before rendering. */
  readonly assets: readonly string[];
  render(subject: SignatureSubject, request: RenderRequest): RenderedSignature;
}

export type CompileOutcome = { ok: true; template: CompiledSignatureTemplate } | { ok: false; problems: TemplateProblem[] };

export interface SignatureEngine {
  /**
   * `variables`: the custom variables defined now, when saving (a template naming another is refused);
   * absent when rendering a stored version, which must keep rendering after a variable is removed.
   * `assets`: template images by name (`asset:logo`) → the SHA-256 of the newest upload of that name;
   * a name not in it is a problem when saving (`variables` given) and a dropped image when rendering.
   */
  compile(source: string, options?: { variables?: readonly string[]; assets?: Readonly<Record<string, string>> }): CompileOutcome;
}
