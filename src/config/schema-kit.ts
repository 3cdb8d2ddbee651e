import { Type, type TSchema, type SchemaOptions } from '@sinclair/typebox';

/**
 * Every setting is declared once: its type, default, environment variable, whether it is a secret,
 * and a sentence for the configuration reference (docs/CONFIGURATION.md is generated from these).
 */
export interface SettingOptions extends SchemaOptions {
  env: string;
  description: string;
  secret?: boolean;
}

export const setting = {
  string: (o: SettingOptions & { default?: string; minLength?: number; format?: string; pattern?: string }) => Type.String(o),
  optionalString: (o: SettingOptions & { minLength?: number; format?: string; pattern?: string }) => Type.Optional(Type.String(o)),
  integer: (o: SettingOptions & { default: number; minimum?: number; maximum?: number }) => Type.Integer(o),
  optionalInteger: (o: SettingOptions & { minimum?: number; maximum?: number }) => Type.Optional(Type.Integer(o)),
  number: (o: SettingOptions & { default: number; minimum?: number; maximum?: number }) => Type.Number(o),
  boolean: (o: SettingOptions & { default: boolean }) => Type.Boolean(o),
  enumOf: <const T extends readonly string[]>(values: T, o: SettingOptions & { default: T[number] }) =>
    Type.Union(
      values.map((v) => Type.Literal(v)),
      o,
    ),
  stringList: (o: SettingOptions & { default: string[] }) => Type.Array(Type.String(), o),
};

/** A config section: an object whose every property has a default or is optional. */
export function section<T extends Record<string, TSchema>>(properties: T, description: string) {
  return Type.Object(properties, { description, additionalProperties: false, default: {} });
}
