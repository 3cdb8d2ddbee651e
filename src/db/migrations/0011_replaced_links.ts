import type { PortableMigration } from './index.js';

/**
 * A user's link secret from before their last new invitation cycle (re-upload with a reset, resend).
 * The link in the email they already have then opens a page offering a fresh link, sent to the address
 * on file, instead of "Link not recognised". Only the one previous secret is kept.
 */
export const replacedLinks: PortableMigration = {
  name: '0011_replaced_links',
  async up(db) {
    await db.schema.alterTable('tracked_user').addColumn('previous_link_secret', 'text').execute();
  },
  async down(db) {
    await db.schema.alterTable('tracked_user').dropColumn('previous_link_secret').execute();
  },
};
