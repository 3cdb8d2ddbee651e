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
  render(subject: SignatureSubject, request: RenderRequest): RenderedSignature;
}

export type CompileOutcome = { ok: true; template: CompiledSignatureTemplate } | { ok: false; problems: TemplateProblem[] };

export interface SignatureEngine {
  /**
   * `variables`: the custom variables defined now, when saving (a template naming another is refused);
   * absent when rendering a stored version, which must keep rendering after a variable is removed.
   */
  compile(source: string, options?: { variables?: readonly string[] }): CompileOutcome;
}

const ASSET_REFERENCE = /asset:([0-9a-f]{64})/g;

/** The asset hashes a template's source refers to (`asset:<sha256>`), to load before rendering. */
export function assetReferences(source: string): string[] {
  return [...new Set([...source.matchAll(ASSET_REFERENCE)].map((m) => m[1]!))];
}
