/**
 * Trino semantics that need the statement's structure, applied to DuckDB's parse tree (the
 * tree is turned back into SQL with `json_deserialize_sql`, only when something changed).
 * Trino's `CAST(json AS VARCHAR)` gives a JSON string's value (`Installed`); DuckDB's keeps
 * the JSON text (`"Installed"`). A cast to VARCHAR of a JSON function's result becomes
 * `trino_json_to_varchar(...)`, as AWS's Config sample queries need.
 */
import type { ParseTree } from './sql-guard.js';

/** Functions whose result is JSON. */
const JSON_FUNCTIONS = new Set(['json_extract', 'json_array_get', 'json_parse', 'json', 'json_extract_path']);

export const TRANSFORM_MACROS: readonly string[] = [
  "CREATE OR REPLACE MACRO trino_json_to_varchar(j) AS CASE WHEN json_type(j) = 'VARCHAR' THEN json_extract_string(j, '$') ELSE CAST(j AS VARCHAR) END",
];

/** Rewrites the tree in place; true when it changed. */
export function applyTrinoSemantics(tree: ParseTree): boolean {
  let changed = false;
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const object = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(object)) object[key] = visit(value);
    if (isJsonCastToVarchar(object)) {
      changed = true;
      return {
        class: 'FUNCTION',
        type: 'FUNCTION',
        alias: object.alias,
        query_location: object.query_location,
        function_name: 'trino_json_to_varchar',
        schema: '',
        children: [object.child],
        filter: null,
        order_bys: { type: 'ORDER_MODIFIER', orders: [] },
        distinct: false,
        is_operator: false,
        export_state: false,
        catalog: '',
      };
    }
    return object;
  };
  tree.statements = (tree.statements ?? []).map(visit);
  return changed;
}

function isJsonCastToVarchar(node: Record<string, unknown>): boolean {
  if (node.class !== 'CAST' || node.try_cast === true) return false;
  if ((node.cast_type as { id?: unknown } | undefined)?.id !== 'VARCHAR') return false;
  const child = node.child as { class?: unknown; function_name?: unknown } | undefined;
  return child?.class === 'FUNCTION' && typeof child.function_name === 'string' && JSON_FUNCTIONS.has(child.function_name.toLowerCase());
}
