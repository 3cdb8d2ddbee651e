import type { PortableMigration } from './index.js';

/**
 * Localised onboarding (issue 24): the tracked user's directory language, which picks the language of
 * the pages their links open (the run stores it with the other directory fields); and the admins'
 * versions of the campaign emails, per kind and language (the latest is current; none: the catalogue).
 */
export const localisedOnboarding: PortableMigration = {
  name: '0020_localised_onboarding',
  async up(db, dialect) {
    await db.schema.alterTable('tracked_user').addColumn('preferred_language', 'text').execute();
    await dialect
      .addAutoId(db.schema.createTable('email_template_version'), 'id')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('comment', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('email_template_version_kind_language').on('email_template_version').columns(['kind', 'language', 'id']).execute();
  },
  async down(db) {
    await db.schema.dropTable('email_template_version').execute();
    await db.schema.alterTable('tracked_user').dropColumn('preferred_language').execute();
  },
};
