/**
 * `EventsMatched` from DuckDB's profile of a query: the events that came out of the scans of
 * the lake's tables after the filters applied to them (the WHERE conditions DuckDB pushes
 * into the scan, the retention cut-off, and FILTER operators directly above). That is "the
 * number of events that matched a query", whatever the query then computes from them: a
 * `count(*)` over 20 matching events matches 20 events and returns 1 row.
 */

interface ProfileNode {
  operator_type?: string;
  operator_cardinality?: number;
  extra_info?: Record<string, unknown>;
  children?: ProfileNode[];
}

/** Operators that pass rows of one child on (after a filter) without combining them with others. */
const PASS_THROUGH = new Set(['FILTER', 'PROJECTION']);

/** Whether a scan reads one of the lake's tables (an internal table or a columnar segment). */
function isLakeScan(node: ProfileNode): boolean {
  if (node.operator_type !== 'TABLE_SCAN') return false;
  const info = node.extra_info ?? {};
  const table = typeof info.Table === 'string' ? info.Table : '';
  const fn = typeof info.Function === 'string' ? info.Function : '';
  return table.includes('auditlake_internal.') || fn === 'READ_PARQUET' || fn === 'PARQUET_SCAN';
}

function endsInLakeScan(node: ProfileNode): boolean {
  if (isLakeScan(node)) return true;
  const children = node.children ?? [];
  return PASS_THROUGH.has(node.operator_type ?? '') && children.length === 1 && endsInLakeScan(children[0] as ProfileNode);
}

/** Events matched, from the JSON text of a DuckDB profile; undefined when it cannot be read. */
export function eventsMatched(profileJson: string): number | undefined {
  let root: ProfileNode;
  try {
    root = JSON.parse(profileJson) as ProfileNode;
  } catch {
    return undefined;
  }
  let total = 0;
  const visit = (node: ProfileNode) => {
    if (endsInLakeScan(node)) {
      total += node.operator_cardinality ?? 0;
      return;
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return total;
}
