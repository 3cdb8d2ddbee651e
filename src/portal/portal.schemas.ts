/**
 * The answers of the portal's cross-feature admin routes (audit log, settings, the demo mailbox), as
 * TypeBox schemas: the routes serialise with them, the OpenAPI
 * document publishes them, and the SPA (portal/) imports their `Static` types. Only TypeBox is imported
 * here, never Node or the server's modules: portal/ compiles this file with its own tsconfig.
 *
 * Every field a route sends is declared, since Fastify's serialiser drops fields a schema does not name.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ description: 'ISO-8601 UTC' }),
  actor: Type.String(),
  actorKind: Type.String({ description: 'session, token, cli, system or anonymous' }),
  action: Type.String(),
  target: Nullable(Type.String()),
  details: Type.Unknown({ description: 'What the action recorded (an object, or null)' }),
  ip: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
});
export type AuditEntry = Static<typeof AuditEntry>;

/** GET /api/admin/audit */
export const AuditPage = Type.Object({ entries: Type.Array(AuditEntry, { description: 'Newest first' }) });
export type AuditPage = Static<typeof AuditPage>;

/** GET /api/admin/settings */
export const SettingsAnswer = Type.Object({
  demo: Type.Boolean(),
  config: Type.Record(Type.String(), Type.Unknown(), { description: 'The effective configuration by section, secrets redacted' }),
});
export type SettingsAnswer = Static<typeof SettingsAnswer>;

export const MailboxMessage = Type.Object({
  id: Type.String(),
  from: Type.String(),
  to: Type.Array(Type.String()),
  subject: Type.String(),
  sentAt: Type.String({ description: 'ISO-8601 UTC' }),
  contentType: Type.Union([Type.Literal('html'), Type.Literal('text')]),
  attachments: Type.Array(Type.String(), { description: 'File names' }),
});
export type MailboxMessage = Static<typeof MailboxMessage>;

/** GET /api/admin/mailbox (demo only) */
export const MailboxAnswer = Type.Object({ messages: Type.Array(MailboxMessage, { description: 'Newest first' }) });
export type MailboxAnswer = Static<typeof MailboxAnswer>;
