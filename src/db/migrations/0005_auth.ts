import type { PortableMigration } from './index.js';

export const auth: PortableMigration = {
  name: '0005_auth',
  async up(db, dialect) {
    await dialect
      .addAutoId(db.schema.createTable('auth_api_token'), 'id')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('token_prefix', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    await dialect
      .addAutoId(db.schema.createTable('auth_local_admin'), 'id')
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('auth_session')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('auth_session_expires').on('auth_session').column('expires_at').execute();
    await dialect
      .addAutoId(db.schema.createTable('auth_audit_log'), 'id')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text')
      .addColumn('details', 'text')
      .addColumn('ip', 'text')
      .addColumn('request_id', 'text')
      .execute();
    await db.schema.createIndex('auth_audit_log_at').on('auth_audit_log').column('at').execute();
  },
  async down(db) {
    await db.schema.dropTable('auth_audit_log').execute();
    await db.schema.dropTable('auth_session').execute();
    await db.schema.dropTable('auth_local_admin').execute();
    await db.schema.dropTable('auth_api_token').execute();
  },
};
