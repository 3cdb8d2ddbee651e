import { useState } from 'react';
import { ApiError } from '../api/client.ts';
import type { TemplateProblem } from './api.ts';

const PREVIEW_USER_KEY = 'onramp.signatures.previewUser';

/**
 * The directory user the editor previews as and the rules are tested against: one choice for the
 * signature screens, kept for the browser tab's session.
 */
export function usePreviewUser(): [string, (upn: string) => void] {
  const [user, setUser] = useState(() => sessionStorage.getItem(PREVIEW_USER_KEY) ?? '');
  return [
    user,
    (upn: string) => {
      sessionStorage.setItem(PREVIEW_USER_KEY, upn);
      setUser(upn);
    },
  ];
}

/** The `problems` of a refused template (400 ONRAMP_ERR_TEMPLATE_INVALID), or none. */
export function problemsOf(err: unknown): TemplateProblem[] {
  if (!(err instanceof ApiError) || !Array.isArray(err.body.problems)) return [];
  return (err.body.problems as unknown[]).filter(
    (p): p is TemplateProblem =>
      p !== null && typeof p === 'object' && typeof (p as TemplateProblem).line === 'number' && typeof (p as TemplateProblem).message === 'string',
  );
}

export function utc(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

export function Alert({ text }: { text: string | null | undefined }) {
  if (!text) return null;
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}

export function Status({ text }: { text: string | null | undefined }) {
  if (!text) return null;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a one-line live message, announced as a status
    <p role="status" className="ok">
      {text}
    </p>
  );
}
