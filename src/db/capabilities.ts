import type { CreateTableBuilder } from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

/** Column types a bulk row set can carry. */
export type BulkType = 'bigint' | 'int' | 'text';

/**
 * Bound parameters of one hand-written statement, in the order its text binds them: `$1, $2` on
 * PostgreSQL, `?` on SQLite (whose driver binds positionally only, so a value used twice is bound twice).
 */
export interface StatementParameters {
  /** Binds a value and returns its placeholder. Call in the order the placeholders appear in the text. */
  bind(value: unknown): string;
  readonly values: unknown[];
}

/**
 * Rows that travel to the database as one or a few bound values, read as a table in the statement's
 * FROM. The statement text then does not depend on the row count, so SQLite reuses its compiled plan,
 * and no parameter limit applies.
 */
export interface BulkRows {
  /** The `index`-th cell of the current row, as its declared type. */
  cell(index: number): string;
  /** The FROM item; binds the rows, so call it where the FROM stands in the text. */
  from(params: StatementParameters): string;
}

/**
 * What migrations and queries must know about the engine. Engine differences live here and nowhere
 * else: queries ask for a capability, never for an engine by name (kysely's adapter flags such as
 * `supportsReturning`). `name` is for logs and descriptions.
 */
export interface DialectCapabilities {
  readonly name: DialectName;
  /** Adds a 64-bit auto-incrementing primary key column. */
  addAutoId<T extends string, C extends string>(table: CreateTableBuilder<T, C>, column: string): CreateTableBuilder<T, C>;
  /** Largest number of bound parameters one statement may carry. */
  readonly maxParameters: number;
  parameters(): StatementParameters;
  /**
   * Rows as one JSON array of arrays: V8 writes it natively and both engines read it in one pass. Best
   * for text (node-postgres escapes text[] parameters element by element in JavaScript).
   */
  jsonRows(alias: string, types: readonly BulkType[], rows: readonly (readonly unknown[])[]): BulkRows;
  /**
   * Rows as one array per column where the driver writes arrays cheaply (node-postgres, numbers
   * above all), as JSON elsewhere.
   */
  columnRows(alias: string, types: readonly BulkType[], rows: readonly (readonly unknown[])[]): BulkRows;
  /** `<expression> in (values)` for a list bound as one value whatever its length. */
  inList(expression: string, type: BulkType, values: readonly unknown[], params: StatementParameters): string;
  /** The SQL function building a JSON array from its arguments. */
  readonly jsonArrayFunction: 'json_array' | 'json_build_array';
  /**
   * The aggregate of a subquery's JSON values (`value`, made by jsonArrayFunction) into one JSON array in
   * `orderBy` order. SQLite's JSON values lose their JSON type through a subquery, so it reads them again.
   */
  jsonArrayAggregate(value: string, orderBy: string): string;
  /**
   * Single rows can be locked until the transaction ends. Without (SQLite) a write transaction is the
   * only writer anyway.
   */
  readonly rowLocks: boolean;
  /**
   * Foreign keys are checked by a per-row trigger running a locking lookup (PostgreSQL), which bulk
   * writes pay for dearly; SQLite checks them with an in-process index probe.
   */
  readonly foreignKeysAreTriggers: boolean;
  /** An auto id is the table's rowid (SQLite): as a primary key it costs no index of its own. */
  readonly autoIdIsRowid: boolean;
  /**
   * Triggers can run once per statement over its rows as tables (PostgreSQL's transition tables);
   * SQLite's run once per row. Counters kept by triggers (migration 0017) follow: PostgreSQL appends a
   * statement's deltas (its writers run concurrently), SQLite adds in place (one writer at a time).
   */
  readonly statementTriggers: boolean;
  /** The column type for bytes (read back as a Buffer by both drivers). */
  readonly binaryType: 'blob' | 'bytea';
}

const postgresTypes: Record<BulkType, string> = { bigint: 'bigint', int: 'int', text: 'text' };

function positionalParameters(): StatementParameters {
  const values: unknown[] = [];
  return {
    values,
    bind(value) {
      values.push(value);
      return '?';
    },
  };
}

function numberedParameters(): StatementParameters {
  const values: unknown[] = [];
  return {
    values,
    bind(value) {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

function sqliteJsonRows(alias: string, rows: readonly (readonly unknown[])[]): BulkRows {
  return {
    cell: (index) => `(${alias}.value ->> ${index})`,
    from: (params) => `json_each(${params.bind(JSON.stringify(rows))}) as ${alias}`,
  };
}

export const sqliteCapabilities: DialectCapabilities = {
  name: 'sqlite',
  addAutoId: (table, column) => table.addColumn(column, 'integer', (c) => c.primaryKey().autoIncrement()),
  maxParameters: 32_766,
  parameters: positionalParameters,
  jsonRows: (alias, _types, rows) => sqliteJsonRows(alias, rows),
  columnRows: (alias, _types, rows) => sqliteJsonRows(alias, rows),
  inList: (expression, _type, values, params) => `${expression} in (select value from json_each(${params.bind(JSON.stringify(values))}))`,
  jsonArrayFunction: 'json_array',
  jsonArrayAggregate: (value, orderBy) => `json_group_array(json(${value}) order by ${orderBy})`,
  rowLocks: false,
  foreignKeysAreTriggers: false,
  autoIdIsRowid: true,
  statementTriggers: false,
  binaryType: 'blob',
};

export const postgresCapabilities: DialectCapabilities = {
  name: 'postgres',
  addAutoId: (table, column) => table.addColumn(column, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()),
  maxParameters: 65_535,
  parameters: numberedParameters,
  jsonRows: (alias, types, rows) => ({
    // ->> yields text; other types are cast back.
    cell: (index) => (types[index] === 'text' ? `(${alias} ->> ${index})` : `(${alias} ->> ${index})::${postgresTypes[types[index]!]}`),
    from: (params) => `jsonb_array_elements(${params.bind(JSON.stringify(rows))}::jsonb) as ${alias}_rows(${alias})`,
  }),
  columnRows: (alias, types, rows) => ({
    cell: (index) => `${alias}.c${index}`,
    from: (params) => {
      const arrays = types.map((type, column) => `${params.bind(rows.map((row) => row[column]))}::${postgresTypes[type]}[]`);
      return `unnest(${arrays.join(', ')}) as ${alias}(${types.map((_, column) => `c${column}`).join(', ')})`;
    },
  }),
  inList: (expression, type, values, params) => `${expression} = any(${params.bind(values)}::${postgresTypes[type]}[])`,
  jsonArrayFunction: 'json_build_array',
  jsonArrayAggregate: (value, orderBy) => `json_agg(${value} order by ${orderBy})`,
  rowLocks: true,
  foreignKeysAreTriggers: true,
  autoIdIsRowid: false,
  statementTriggers: true,
  binaryType: 'bytea',
};
