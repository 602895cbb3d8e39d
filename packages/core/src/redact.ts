/**
 * Redaction of `eventData` by path, before any size check or checksum.
 *
 * A path is dot-separated field names relative to `eventData`: `requestParameters.password`.
 * `*` matches any one key (object key or array index), `**` any number of levels, zero
 * included: `*.token` is a `token` one level down, `**.password` a `password` at any depth.
 * A matched value is replaced by {@link REDACTED}; a path that matches nothing does nothing.
 */

export const REDACTED = '[REDACTED]';

export type RedactPath = readonly string[];

/** Splits and checks paths once; returns `undefined` for a bad path, so options can name it. */
export function compileRedactPath(path: string): RedactPath | undefined {
  if (typeof path !== 'string' || path.length === 0) return undefined;
  const segments = path.split('.');
  return segments.every((segment) => segment.length > 0) && segments.at(-1) !== '**' ? segments : undefined;
}

/** Replaces, in place, every value of `target` that one of `paths` matches. */
export function redact(target: Record<string, unknown>, paths: readonly RedactPath[]): void {
  for (const path of paths) visit(target, path, 0);
}

function visit(node: unknown, path: RedactPath, index: number): void {
  if (node === null || typeof node !== 'object') return;
  const segment = path[index];
  if (segment === undefined) return;
  const container = node as Record<string, unknown>;
  const last = index === path.length - 1;
  if (segment === '**') {
    // Zero levels: the rest of the path applies here; one or more: descend and keep `**`.
    visit(container, path, index + 1);
    for (const key of Object.keys(container)) visit(container[key], path, index);
    return;
  }
  const keys = segment === '*' ? Object.keys(container) : Object.hasOwn(container, segment) ? [segment] : [];
  for (const key of keys) {
    // A field present but undefined is absent in JSON: nothing to replace.
    if (last) {
      if (container[key] !== undefined) container[key] = REDACTED;
    } else visit(container[key], path, index + 1);
  }
}

const AUDIT_PREFIX = 'audit.';
const CONTEXT_ATTRIBUTES = ['additionalEventData', 'attributes'];

/**
 * Redacts a record that could not be mapped, as it is rendered into its dead letter: the same
 * paths apply where mapping would have found them (the nested `audit` object, flat `audit.*`
 * keys, other attributes that would have gone to `additionalEventData.attributes`), and at the
 * root. A secret must not reach the dead-letter file by the path that skipped mapping.
 */
export function redactRecord(target: Record<string, unknown>, paths: readonly RedactPath[]): void {
  redact(target, paths);
  const attributes = target.attributes;
  if (attributes === null || typeof attributes !== 'object') return;
  const record = attributes as Record<string, unknown>;
  if (record.audit !== null && typeof record.audit === 'object') redact(record.audit as Record<string, unknown>, paths);
  for (const key of Object.keys(record)) {
    if (!key.startsWith(AUDIT_PREFIX)) continue;
    for (const path of paths) {
      for (const rest of remainders(path, key.slice(AUDIT_PREFIX.length).split('.'))) {
        if (rest.length === 0) record[key] = REDACTED;
        else visit(record[key], rest, 0);
      }
    }
  }
  for (const path of paths) {
    for (const rest of remainders(path, CONTEXT_ATTRIBUTES)) if (rest.length > 0) visit(record, rest, 0);
  }
}

/** What is left of `path` once it has matched the keys `keys`, for every way it can match them. */
function remainders(path: RedactPath, keys: readonly string[]): RedactPath[] {
  if (keys.length === 0) return [path];
  const [segment, ...restOfPath] = path;
  if (segment === undefined) return [];
  const [key, ...restOfKeys] = keys as [string, ...string[]];
  if (segment === '**') return [...remainders(restOfPath, keys), ...remainders(path, restOfKeys)];
  return segment === '*' || segment === key ? remainders(restOfPath, restOfKeys) : [];
}
