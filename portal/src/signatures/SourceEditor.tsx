import { html } from '@codemirror/lang-html';
import { type Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, basicSetup } from 'codemirror';
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import type { TemplateProblem } from './api.ts';

export interface SourceEditorHandle {
  /** Puts the cursor at the start of a 1-based line (and column) and focuses the editor. */
  goTo(line: number, column?: number): void;
}

interface Props {
  value: string;
  onChange: (value: string) => void;
  problems: TemplateProblem[];
  label: string;
  /** Viewers read the source; only admins change it. */
  readOnly?: boolean;
}

/** A problem's position as a document offset (clamped: the source may have changed since it was found). */
function offsetOf(view: EditorView, line: number, column: number): number {
  const doc = view.state.doc;
  const at = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(at.from + Math.max(column - 1, 0), at.to);
}

const THEME = EditorView.theme({
  '&': { border: '1px solid #6e7781', borderRadius: '6px', background: '#fff', fontSize: '0.9rem' },
  '&.cm-focused': { outline: '3px solid #0f5cc0', outlineOffset: '2px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, monospace', minHeight: '18rem', maxHeight: '32rem' },
});

/**
 * The template source with HTML highlighting (CodeMirror 6) and the server's problems marked at their
 * lines. CodeMirror styles itself through a stylesheet it inserts; in a document that is a <style>
 * element, which the portal's CSP (style-src 'self') refuses, while in a shadow root it adopts a
 * constructed stylesheet, which CSP allows. So the editor lives in a shadow root of its own.
 */
export const SourceEditor = forwardRef<SourceEditorHandle, Props>(function SourceEditor({ value, onChange, problems, label, readOnly = false }, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;

  // biome-ignore lint/correctness/useExhaustiveDependencies: the editor is created once; later values arrive through the effect below
  useEffect(() => {
    const element = host.current!;
    const root = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
    const parent = document.createElement('div');
    root.replaceChildren(parent);
    const editor = new EditorView({
      root,
      parent,
      doc: value,
      extensions: [
        basicSetup,
        html(),
        lintGutter(),
        THEME,
        EditorView.lineWrapping,
        EditorState.readOnly.of(readOnly),
        EditorView.contentAttributes.of({ 'aria-label': label }),
        EditorView.updateListener.of((u) => u.docChanged && changed.current(u.state.doc.toString())),
      ],
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const diagnostics: Diagnostic[] = problems.map((p) => {
      const from = offsetOf(editor, p.line, p.column);
      return { from, to: Math.min(from + 1, editor.state.doc.length), severity: 'error', message: p.message };
    });
    editor.dispatch(setDiagnostics(editor.state, diagnostics));
  }, [problems]);

  useImperativeHandle(ref, () => ({
    goTo(line, column = 1) {
      const editor = view.current;
      if (!editor) return;
      const at = offsetOf(editor, line, column);
      editor.dispatch({ selection: { anchor: at }, scrollIntoView: true });
      editor.focus();
    },
  }));

  return <div ref={host} className="source-editor" />;
});
