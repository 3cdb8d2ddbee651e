import type { PortableMigration } from './index.js';

export const directory: PortableMigration = {
  name: '0002_directory',
  async up(db) {
    await db.schema
      .createTable('directory_user')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('upn_lower', 'text', (c) => c.notNull().unique())
      .addColumn('account_enabled', 'integer', (c) => c.notNull())
      .addColumn('profile', 'text', (c) => c.notNull())
      .addColumn('synced_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('directory_sync_state')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('delta_link', 'text')
      .addColumn('last_sync_at', 'text')
      .addColumn('last_error', 'text')
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('directory_sync_state').execute();
    await db.schema.dropTable('directory_user').execute();
  },
};
