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
    if (last) container[key] = REDACTED;
    else visit(container[key], path, index + 1);
  }
}
