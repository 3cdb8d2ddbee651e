import { Type } from '@sinclair/typebox';

/**
 * Query strings stay text on both listeners (Ajv does not coerce types, so a body's `"5"` is never
 * taken for 5): counts are matched as digit strings and read with `bounded`.
 */
export const CountText = (description: string) => Type.String({ pattern: '^[0-9]{1,9}$', description });

/** A digit string from a query (already matched by CountText), clamped to [min, max]; `fallback` when absent. */
export function bounded(text: string | undefined, fallback: number, min: number, max: number): number {
  return text === undefined ? fallback : Math.min(max, Math.max(min, Number(text)));
}
