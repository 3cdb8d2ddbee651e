/**
 * The campaign emails' admin API: every kind × language with where its text comes from, versions
 * (who, when, comment; roll back adds a copy of an older one), and a preview for a tracked user.
 * Viewers read; admins write, and every write is audited. The next invitation run uses the change.
 */
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { OnrampContext } from '../context.js';
import { OnrampError } from '../errors.js';
import { EMAIL_KINDS, emailTexts, escalationEmail, userEmail, type Branding, type EmailKind, type EmailSubjects } from './email-templates.js';
import * as q from './email-templates.queries.js';
import {
  NewTemplateVersion,
  RenderedPreview,
  RollBack,
  TemplateList,
  TemplateParams,
  TemplatePreview,
  TemplateVersion,
  VersionList,
} from './email-templates.schemas.js';
import { LANGUAGES, type Language } from './languages.js';
import { CATALOGUES } from './messages/index.js';
import { findById } from './onboarding.queries.js';

export interface EmailTemplateRoutesOptions {
  ctx: OnrampContext;
  branding: Branding;
  subjects: EmailSubjects;
  publicUrl: string;
  viewerGuard: preHandlerAsyncHookHandler;
  adminGuard: preHandlerAsyncHookHandler;
  actorOf: (req: FastifyRequest) => string;
  audit: (req: FastifyRequest, action: string, target: string | null, details?: unknown) => Promise<void>;
}

const MAX_VERSIONS_LISTED = 100;

const versionView = (row: q.EmailTemplateVersionRow) => ({
  version: Number(row.id),
  subject: row.subject,
  body: row.body,
  comment: row.comment,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

export async function emailTemplateRoutes(parent: FastifyInstance, options: EmailTemplateRoutesOptions): Promise<void> {
  const { ctx, viewerGuard, adminGuard, actorOf, audit } = options;
  const db = ctx.storage.db;
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  /** The built-in text of a kind and language as the run would send it (config's subjects replace the English ones). */
  const builtIn = (kind: EmailKind, language: Language) => {
    const template = CATALOGUES[language].emails[kind];
    return language === 'en' ? { ...template, subject: options.subjects[kind] } : template;
  };

  app.get(
    '/api/admin/email-templates',
    {
      preHandler: viewerGuard,
      schema: { tags: ['email templates'], summary: 'Every email kind in every language, and where its text comes from', response: { 200: TemplateList } },
    },
    async () => {
      const current = new Map((await q.currentTemplateVersions(db)).map((row) => [`${row.kind}:${row.language}`, row]));
      const templates = EMAIL_KINDS.flatMap((kind) =>
        LANGUAGES.map((language) => {
          const row = current.get(`${kind}:${language}`);
          const text = row ?? builtIn(kind, language);
          return {
            kind,
            language,
            subject: text.subject,
            body: text.body,
            source: row ? ('stored' as const) : ('built-in' as const),
            current: row ? versionView(row) : null,
          };
        }),
      );
      return { templates };
    },
  );

  app.get(
    '/api/admin/email-templates/:kind/:language/versions',
    {
      preHandler: viewerGuard,
      schema: { tags: ['email templates'], summary: 'Versions, newest first', params: TemplateParams, response: { 200: VersionList } },
    },
    async (req) => ({ versions: (await q.templateVersions(db, req.params.kind, req.params.language, MAX_VERSIONS_LISTED)).map(versionView) }),
  );

  app.post(
    '/api/admin/email-templates/:kind/:language/versions',
    {
      preHandler: adminGuard,
      schema: {
        tags: ['email templates'],
        summary: 'Save a new version (current at once)',
        params: TemplateParams,
        body: NewTemplateVersion,
        response: { 200: TemplateVersion },
      },
    },
    async (req) => {
      const { kind, language } = req.params;
      const row = await q.insertTemplateVersion(db, {
        kind,
        language,
        subject: req.body.subject,
        body: req.body.body,
        comment: req.body.comment ?? '',
        created_by: actorOf(req),
        created_at: ctx.clock.now().toISOString(),
      });
      await audit(req, 'email-template.save', `${kind}/${language}`, { version: Number(row.id), comment: row.comment });
      return versionView(row);
    },
  );

  app.post(
    '/api/admin/email-templates/:kind/:language/rollback',
    {
      preHandler: adminGuard,
      schema: {
        tags: ['email templates'],
        summary: 'Make an older version current again (as a new version)',
        params: TemplateParams,
        body: RollBack,
        response: { 200: TemplateVersion },
      },
    },
    async (req) => {
      const { kind, language } = req.params;
      const old = await q.templateVersion(db, kind, language, req.body.version);
      if (!old) throw new OnrampError('ONRAMP_ERR_EMAIL_TEMPLATE_VERSION_NOT_FOUND', [String(req.body.version), `${kind}/${language}`]);
      const row = await q.insertTemplateVersion(db, {
        kind,
        language,
        subject: old.subject,
        body: old.body,
        comment: `roll back to version ${req.body.version}`,
        created_by: actorOf(req),
        created_at: ctx.clock.now().toISOString(),
      });
      await audit(req, 'email-template.rollback', `${kind}/${language}`, { version: Number(row.id), restored: req.body.version });
      return versionView(row);
    },
  );

  app.post(
    '/api/admin/email-templates/:kind/:language/preview',
    {
      preHandler: viewerGuard,
      schema: {
        tags: ['email templates'],
        summary: "A subject and body rendered for a tracked user (their name); the links carry a preview token, never the user's",
        params: TemplateParams,
        body: TemplatePreview,
        response: { 200: RenderedPreview },
      },
    },
    async (req) => {
      const { kind, language } = req.params;
      const user = await findById(db, req.body.trackedUserId);
      if (!user) throw new OnrampError('ONRAMP_ERR_TRACKED_USER_NOT_FOUND', [String(req.body.trackedUserId)]);
      const texts = emailTexts(language, { stored: { [kind]: { subject: req.body.subject, body: req.body.body } } });
      const mail =
        kind === 'escalation'
          ? escalationEmail({
              managerName: null,
              managerUpn: user.manager_upn ?? 'manager',
              employee: { displayName: user.display_name, upn: user.upn, department: user.department, jobTitle: user.job_title },
              remindersSent: Math.max(user.reminder_count, 1),
              inviteSentDate: user.invite_sent_date,
              branding: options.branding,
              texts,
            })
          : userEmail({
              displayName: user.display_name,
              upn: user.upn,
              token: 'preview',
              publicUrl: options.publicUrl,
              branding: options.branding,
              texts,
              ...(kind === 'reminder' ? { reminderNumber: user.reminder_count + 1 } : {}),
            });
      return { language, ...mail };
    },
  );
}
