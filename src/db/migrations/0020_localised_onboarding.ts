import type { PortableMigration } from './index.js';

/**
 * Localised onboarding (issue 24): the tracked user's directory language, which picks the language of
 * the pages their links open (the run stores it with the other directory fields).
 */
export const localisedOnboarding: PortableMigration = {
  name: '0020_localised_onboarding',
  async up(db) {
    await db.schema.alterTable('tracked_user').addColumn('preferred_language', 'text').execute();
  },
  async down(db) {
    await db.schema.alterTable('tracked_user').dropColumn('preferred_language').execute();
  },
};
