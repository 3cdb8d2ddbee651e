/**
 * The answers of the sign-in routes the SPA calls (/api/auth/session, login, setup), as TypeBox schemas:
 * the routes serialise with them, the OpenAPI document publishes them, the SPA (portal/) imports their
 * `Static` types. TypeBox only, no Node imports: portal/ compiles this file with its own tsconfig.
 */
import { Type, type Static } from '@sinclair/typebox';

/** GET /api/auth/session */
export const SessionAnswer = Type.Object({
  signedIn: Type.Boolean(),
  user: Type.Union([
    Type.Object({
      subject: Type.String({ description: 'Written to the audit log: user name, UPN, or token:<name>' }),
      displayName: Type.String(),
      role: Type.Union([Type.Literal('admin'), Type.Literal('viewer')]),
      kind: Type.Union([Type.Literal('session'), Type.Literal('token')]),
    }),
    Type.Null(),
  ]),
  csrfToken: Type.Union([Type.String(), Type.Null()], { description: 'Send as x-csrf-token on cookie-authenticated changes' }),
  methods: Type.Object({ local: Type.Boolean(), oidc: Type.Boolean() }, { description: 'The sign-in methods this instance offers' }),
  setupRequired: Type.Boolean({ description: 'No admin exists yet: first-run setup with the logged code' }),
  demo: Type.Boolean(),
  mailbox: Type.Boolean({ description: "The demo's Mailbox screen exists (the tenant simulator runs in-process)" }),
});
export type SessionAnswer = Static<typeof SessionAnswer>;

/** POST /api/auth/login (200) and /api/auth/setup (201): the new session's CSRF token (the cookie carries the session). */
export const SignedIn = Type.Object({ csrfToken: Type.String() });
export type SignedIn = Static<typeof SignedIn>;
