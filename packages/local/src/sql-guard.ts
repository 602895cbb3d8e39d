/**
 * What a query may touch, checked on DuckDB's own parse tree (`json_serialize_sql`), so that
 * nothing written anywhere in the statement (a subquery, a CTE, a lateral join) escapes the
 * check: tables are the sources SQL may name (event data stores, by id) and the statement's
 * own WITH tables, unqualified; no table function reads anything but its arguments (no
 * read_csv, glob, read_parquet, query_table, …); no function reveals the engine's settings.
 * The engine's internal tables, other catalogs and schemas, and files are out of reach even
 * where DuckDB's own file-access settings would allow them.
 */
import { AwsServiceError, invalidQuery } from './aws-error.js';

/** Table functions that compute rows from their arguments only. */
const ALLOWED_TABLE_FUNCTIONS = new Set(['unnest', 'range', 'generate_series']);
/** Scalar functions that would reveal the engine's configuration (paths included). */
const BLOCKED_FUNCTIONS = new Set(['current_setting', 'getvariable', 'getenv']);
/** Table references that read something other than tables and subqueries. */
const BLOCKED_TABLE_REFS = new Set(['SHOW_REF', 'COLUMN_DATA', 'DELIM_GET', 'BOUND_TABLE_REF']);
const STORE_ID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** DuckDB's parse tree of a statement text (`json_serialize_sql`). */
export interface ParseTree {
  error: boolean;
  error_message?: string;
  statements?: unknown[];
}

/** DuckDB's "no location" (2^64 - 1) does not survive a JavaScript number; it travels as -1. */
const NO_LOCATION = '18446744073709551615';

/** The parse tree of `json_serialize_sql`'s JSON text; a statement DuckDB cannot parse is `InvalidQueryStatementException`. */
export function parseTree(json: string): ParseTree {
  let tree: ParseTree;
  try {
    tree = JSON.parse(json.replaceAll(`"query_location":${NO_LOCATION}`, '"query_location":-1')) as ParseTree;
  } catch {
    throw invalidQuery('The query could not be parsed.');
  }
  if (tree.error) throw invalidQuery(firstLine(tree.error_message ?? 'The query could not be parsed.'));
  return tree;
}

/** The JSON text of a parse tree, for `json_deserialize_sql`. */
export function parseTreeText(tree: ParseTree): string {
  return JSON.stringify(tree).replaceAll('"query_location":-1', `"query_location":${NO_LOCATION}`);
}

export interface GuardContext {
  /** Lower-case names of the tables SQL may read. */
  tables: ReadonlySet<string>;
  /** Lower-case names a WITH table may not take (the engine's catalog). */
  reserved: ReadonlySet<string>;
}

/**
 * Checks the parse tree of a statement; throws `InvalidQueryStatementException` (or
 * `EventDataStoreNotFoundException`) naming what is not allowed.
 */
export function guardStatement(tree: ParseTree, context: GuardContext): void {
  const statements = tree.statements ?? [];
  if (statements.length !== 1) throw invalidQuery(`Only one SELECT statement is allowed (found ${statements.length}).`);
  const withTables = new Set<string>();
  visitObjects(statements[0], (object) => collectWithTables(object, withTables, context));
  visitObjects(statements[0], (object) => check(object, withTables, context));
}

/** Calls `visit` on every object of a parse tree, wherever it sits. */
function visitObjects(node: unknown, visit: (object: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) visitObjects(item, visit);
  } else if (node !== null && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    for (const value of Object.values(node)) visitObjects(value, visit);
  }
}

function collectWithTables(object: Record<string, unknown>, names: Set<string>, context: GuardContext): void {
  const map = (object.cte_map as { map?: { key?: unknown }[] } | undefined)?.map;
  for (const entry of Array.isArray(map) ? map : []) {
    const name = String(entry.key).toLowerCase();
    if (context.reserved.has(name) || name.startsWith('__') || name.includes('.') || name.includes('/')) {
      throw invalidQuery(`WITH ${String(entry.key)}: choose another name for this table.`);
    }
    names.add(name);
  }
}

function check(object: Record<string, unknown>, withTables: ReadonlySet<string>, context: GuardContext): void {
  const type = typeof object.type === 'string' ? object.type : undefined;
  if (type === 'BASE_TABLE' && typeof object.table_name === 'string') checkTable(object, withTables, context);
  if (type === 'TABLE_FUNCTION' && object.class === undefined) {
    const name = functionName(object.function);
    if (!ALLOWED_TABLE_FUNCTIONS.has(name)) throw invalidQuery(`FROM ${name}(…): table functions other than unnest cannot be used; read event data stores by id.`);
  }
  if (type !== undefined && object.class === undefined && BLOCKED_TABLE_REFS.has(type)) throw invalidQuery('The query reads something that is not an event data store.');
  if (object.class === 'FUNCTION' && typeof object.function_name === 'string') {
    const name = object.function_name.toLowerCase();
    if (BLOCKED_FUNCTIONS.has(name) || name.startsWith('duckdb_') || name.startsWith('pragma_')) throw invalidQuery(`Function ${object.function_name} is not supported.`);
  }
}

function checkTable(ref: Record<string, unknown>, withTables: ReadonlySet<string>, context: GuardContext): void {
  const name = ref.table_name as string;
  const qualified = [ref.catalog_name, ref.schema_name].filter((part) => typeof part === 'string' && part !== '');
  if (qualified.length > 0) throw invalidQuery(`FROM ${[...qualified, name].join('.')}: name an event data store by its id alone.`);
  const lower = name.toLowerCase();
  if (context.tables.has(lower) || withTables.has(lower)) return;
  if (STORE_ID_SHAPE.test(name)) throw new AwsServiceError('EventDataStoreNotFoundException', `The specified event data store ID does not exist: ${name}`);
  throw invalidQuery(`FROM ${name}: there is no event data store with this id (and no WITH table of this name).`);
}

function functionName(expression: unknown): string {
  const name = (expression as { function_name?: unknown } | null)?.function_name;
  return typeof name === 'string' ? name.toLowerCase() : 'unknown';
}

function firstLine(message: string): string {
  return message.split('\n')[0]?.trim() ?? message;
}
