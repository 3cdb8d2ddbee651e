import type { PortableMigration } from './index.js';

/**
 * Signature templates with immutable versions, assignment rules, custom variables, image assets, and what
 * rules need of the directory: each user's manager and the transitive members of the groups rules name.
 * Asset bytes live in the database (blob/bytea): logos are small, and every instance of a PostgreSQL
 * cluster then serves the same bytes without a shared file system.
 */
export const signatureTemplates: PortableMigration = {
  name: '0009_signature_templates',
  async up(db, dialect) {
    await dialect
      .addAutoId(db.schema.createTable('signature_template'), 'id')
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('current_version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('signature_template_version')
      .addColumn('template_id', 'bigint', (c) => c.notNull().references('signature_template.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('comment', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('signature_template_version_pk', ['template_id', 'version'])
      .execute();

    await dialect
      .addAutoId(db.schema.createTable('signature_rule'), 'id')
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      // No cascade: a template a rule uses cannot be deleted (the API says which rules hold it).
      .addColumn('template_id', 'bigint', (c) => c.notNull().references('signature_template.id'))
      .addColumn('defaults', 'text', (c) => c.notNull())
      .addColumn('conditions', 'text', (c) => c.notNull())
      .addColumn('exclusions', 'text', (c) => c.notNull())
      .addColumn('window_from', 'text')
      .addColumn('window_to', 'text')
      .addColumn('window_time_zone', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('signature_rule_priority').on('signature_rule').column('priority').execute();
    await db.schema.createIndex('signature_rule_template').on('signature_rule').column('template_id').execute();

    await db.schema
      .createTable('signature_variable')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('default_value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('signature_variable_user_value')
      .addColumn('variable_name', 'text', (c) => c.notNull().references('signature_variable.name').onDelete('cascade'))
      .addColumn('upn_lower', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('signature_variable_user_value_pk', ['variable_name', 'upn_lower'])
      .execute();
    await db.schema.createIndex('signature_variable_user_value_upn').on('signature_variable_user_value').column('upn_lower').execute();
    await db.schema
      .createTable('signature_variable_group_value')
      .addColumn('variable_name', 'text', (c) => c.notNull().references('signature_variable.name').onDelete('cascade'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('group_id', 'text', (c) => c.notNull())
      .addColumn('group_name', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('signature_variable_group_value_pk', ['variable_name', 'position'])
      .execute();

    await db.schema
      .createTable('signature_asset')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('height', 'integer', (c) => c.notNull())
      .addColumn('original_name', 'text', (c) => c.notNull())
      .addColumn('uploaded_by', 'text', (c) => c.notNull())
      .addColumn('uploaded_at', 'text', (c) => c.notNull())
      .addColumn('bytes', dialect.binaryType, (c) => c.notNull())
      .execute();

    // The directory: managers from users/delta, transitive members of the groups rules and variables name.
    await db.schema.alterTable('directory_user').addColumn('manager_id', 'text').execute();
    await db.schema.alterTable('directory_user').addColumn('mail_lower', 'text').execute();
    await db.schema.createIndex('directory_user_mail').on('directory_user').column('mail_lower').execute();
    // The next sync runs a full round, which fills both new columns.
    await db.updateTable('directory_sync_state').set({ delta_link: null }).execute();
    await db.schema
      .createTable('directory_group')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('display_name', 'text', (c) => c.notNull())
      .addColumn('refreshed_at', 'text')
      .addColumn('last_error', 'text')
      .execute();
    await db.schema
      .createTable('directory_group_member')
      .addColumn('group_id', 'text', (c) => c.notNull().references('directory_group.id').onDelete('cascade'))
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('directory_group_member_pk', ['group_id', 'user_id'])
      .execute();
    await db.schema.createIndex('directory_group_member_user').on('directory_group_member').columns(['user_id', 'group_id']).execute();
  },
  async down(db) {
    await db.schema.dropTable('directory_group_member').execute();
    await db.schema.dropTable('directory_group').execute();
    await db.schema.dropIndex('directory_user_mail').execute();
    await db.schema.alterTable('directory_user').dropColumn('mail_lower').execute();
    await db.schema.alterTable('directory_user').dropColumn('manager_id').execute();
    await db.schema.dropTable('signature_asset').execute();
    await db.schema.dropTable('signature_variable_group_value').execute();
    await db.schema.dropTable('signature_variable_user_value').execute();
    await db.schema.dropTable('signature_variable').execute();
    await db.schema.dropTable('signature_rule').execute();
    await db.schema.dropTable('signature_template_version').execute();
    await db.schema.dropTable('signature_template').execute();
  },
};
