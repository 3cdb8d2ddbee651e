import type { PortableMigration } from './index.js';

export const foundation: PortableMigration = {
  name: '0001_foundation',
  async up(db) {
    await db.schema
      .createTable('lease')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('lease').execute();
  },
};
