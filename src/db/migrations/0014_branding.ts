import type { PortableMigration } from './index.js';

/**
 * Desktop branding: uploaded files' descriptions (the bytes are hash-named files in the branding
 * folder, not rows: wallpapers are megabytes and screensaver videos tens of them, served by range),
 * the assignments that choose them, and the manifest each device was last served.
 */
export const branding: PortableMigration = {
  name: '0014_branding',
  async up(db, dialect) {
    await db.schema
      .createTable('branding_asset')
      .addColumn('sha256', 'text', (c) => c.primaryKey())
      .addColumn('media', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('thumbnail_sha256', 'text')
      .addColumn('thumbnail_size', 'bigint')
      .addColumn('uploaded_by', 'text', (c) => c.notNull())
      .addColumn('uploaded_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('branding_asset_thumbnail').on('branding_asset').column('thumbnail_sha256').execute();

    await dialect
      .addAutoId(db.schema.createTable('branding_assignment'), 'id')
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('element', 'text', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('conditions', 'text', (c) => c.notNull())
      .addColumn('exclusions', 'text', (c) => c.notNull())
      .addColumn('window_from', 'text')
      .addColumn('window_to', 'text')
      .addColumn('window_time_zone', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('branding_assignment_priority').on('branding_assignment').columns(['element', 'priority']).execute();

    await db.schema
      .createTable('branding_served_manifest')
      .addColumn('upn_lower', 'text', (c) => c.notNull())
      .addColumn('hostname_lower', 'text', (c) => c.notNull())
      .addColumn('manifest_version', 'text', (c) => c.notNull())
      .addColumn('background_version', 'text', (c) => c.notNull())
      .addColumn('lock_screen_version', 'text', (c) => c.notNull())
      .addColumn('teams_background_version', 'text', (c) => c.notNull())
      .addColumn('screensaver_version', 'text', (c) => c.notNull())
      .addColumn('new_signature_version', 'text', (c) => c.notNull())
      .addColumn('reply_signature_version', 'text', (c) => c.notNull())
      .addColumn('web_signature_version', 'text', (c) => c.notNull())
      .addColumn('served_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('branding_served_manifest_pkey', ['upn_lower', 'hostname_lower'])
      .execute();
  },
  async down(db) {
    await db.schema.dropTable('branding_served_manifest').execute();
    await db.schema.dropTable('branding_assignment').execute();
    await db.schema.dropTable('branding_asset').execute();
  },
};
