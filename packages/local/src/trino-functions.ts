/**
 * Trino functions that CloudTrail Lake queries use (the user guide's "Supported functions",
 * AWS's sample queries, and the idioms of published queries such as
 * `eventTime > date_add('day', -7, now())`) where DuckDB has no function of the same name
 * and meaning. Most become macros (DuckDB lets a macro take a built-in's name; `system.main.`
 * reaches the built-in); the few that take a lambda, which a macro cannot pass on, are
 * renamed in the statement text; `now()` and its relatives are replaced by the lake's clock.
 */

/** Trino's MySQL-style date_format specifiers in DuckDB strftime spelling; order matters (%M before %i). */
const MYSQL_FORMAT: [string, string][] = [
  ['%M', '%B'],
  ['%W', '%A'],
  ['%D', '%d'],
  ['%e', '%-d'],
  ['%c', '%-m'],
  ['%h', '%I'],
  ['%k', '%-H'],
  ['%l', '%-I'],
  ['%i', '%M'],
  ['%s', '%S'],
  ['%r', '%I:%M:%S %p'],
  ['%T', '%H:%M:%S'],
  ['%v', '%V'],
  ['%x', '%G'],
];

function strftimeFormat(format: string): string {
  return MYSQL_FORMAT.reduce((expression, [from, to]) => `replace(${expression}, '${from}', '${to}')`, format);
}

export const TRINO_MACROS: readonly string[] = [
  // Trino: element_at(map, key) is the value or NULL; element_at(array, i) is 1-based, negative from the end.
  'CREATE OR REPLACE MACRO element_at(c, k) AS c[k]',
  'CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS CASE WHEN json_type(json_extract(j, p)) IN (\'OBJECT\', \'ARRAY\') THEN NULL ELSE json_extract_string(j, p) END',
  'CREATE OR REPLACE MACRO json_parse(s) AS json(s)',
  'CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)',
  "CREATE OR REPLACE MACRO json_array_get(a, i) AS json_extract(a, CASE WHEN i >= 0 THEN '$[' || i || ']' ELSE '$[#' || i || ']' END)",
  'CREATE OR REPLACE MACRO json_array_contains(a, v) AS list_contains(json_transform(a, \'["VARCHAR"]\'), CAST(v AS VARCHAR))',
  "CREATE OR REPLACE MACRO is_json_scalar(j) AS json_type(j) NOT IN ('OBJECT', 'ARRAY')",
  'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'CREATE OR REPLACE MACRO from_iso8601_date(s) AS CAST(s AS DATE)',
  "CREATE OR REPLACE MACRO to_iso8601(t) AS strftime(CAST(t AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%gZ')",
  'CREATE OR REPLACE MACRO from_unixtime(n) AS to_timestamp(n)',
  'CREATE OR REPLACE MACRO to_unixtime(t) AS epoch(t)',
  // date_add(unit, value, timestamp); DuckDB's own date_add(date, interval) stays reachable.
  "CREATE OR REPLACE MACRO date_add(u, n, t) AS t + CAST(CAST(n AS VARCHAR) || ' ' || u AS INTERVAL), (d, i) AS system.main.date_add(d, i)",
  // Trino counts whole units elapsed (DuckDB's date_sub); DuckDB's date_diff counts boundaries crossed.
  'CREATE OR REPLACE MACRO date_diff(u, a, b) AS date_sub(u, a, b)',
  'CREATE OR REPLACE MACRO day_of_week(t) AS isodow(t)',
  'CREATE OR REPLACE MACRO dow(t) AS isodow(t)',
  'CREATE OR REPLACE MACRO day_of_month(t) AS dayofmonth(t)',
  'CREATE OR REPLACE MACRO day_of_year(t) AS dayofyear(t)',
  'CREATE OR REPLACE MACRO doy(t) AS dayofyear(t)',
  'CREATE OR REPLACE MACRO week_of_year(t) AS weekofyear(t)',
  'CREATE OR REPLACE MACRO year_of_week(t) AS isoyear(t)',
  'CREATE OR REPLACE MACRO yow(t) AS isoyear(t)',
  // Trino: the millisecond of the second; DuckDB: of the minute.
  'CREATE OR REPLACE MACRO millisecond(t) AS system.main.millisecond(t) % 1000',
  `CREATE OR REPLACE MACRO date_format(t, f) AS strftime(t, ${strftimeFormat('f')})`,
  'CREATE OR REPLACE MACRO array_max(a) AS list_max(a)',
  'CREATE OR REPLACE MACRO array_min(a) AS list_min(a)',
  'CREATE OR REPLACE MACRO array_join(a, s) AS array_to_string(a, s)',
  'CREATE OR REPLACE MACRO slice(a, s, n) AS list_slice(a, s, s + n - 1)',
  // Trino's two-argument replace removes; its regexp_replace replaces every match and writes groups as $1.
  "CREATE OR REPLACE MACRO replace(s, x) AS system.main.replace(s, x, ''), (s, x, r) AS system.main.replace(s, x, r)",
  "CREATE OR REPLACE MACRO regexp_replace(s, p) AS system.main.regexp_replace(s, p, '', 'g'), (s, p, r) AS system.main.regexp_replace(s, p, system.main.regexp_replace(r, '\\$(\\d+)', '\\\\\\1', 'g'), 'g')",
  'CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)',
  'CREATE OR REPLACE MACRO approx_distinct(x) AS approx_count_distinct(x)',
  'CREATE OR REPLACE MACRO approx_percentile(x, p) AS approx_quantile(x, p)',
];

/** Functions whose arguments include a lambda: renamed in the statement text. */
export const RENAMED_FUNCTIONS: ReadonlyMap<string, string> = new Map([['transform', 'list_transform']]);

/** Trino names of the current time, which the statement gets as a literal of the lake's clock. */
export const CLOCK_FUNCTIONS = new Set(['now', 'current_timestamp', 'localtimestamp', 'current_date']);
