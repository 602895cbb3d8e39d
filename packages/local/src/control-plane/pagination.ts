/**
 * `MaxResults`/`NextToken` paging. A token names the listing it belongs to (its scope), so a
 * token of one listing given to another is `InvalidNextTokenException`, as the service says.
 */
import { AwsServiceError } from '../aws-error.js';
import type { Input } from './context.js';
import { integer, omitUndefined, string } from './validation.js';

export const DEFAULT_PAGE = 1000;

export function paginate<T>(input: Input, scope: string, items: T[], render: (item: T) => unknown, key: string): Record<string, unknown> {
  const max = integer(input, 'MaxResults', 1, 1000, 'InvalidMaxResultsException') ?? DEFAULT_PAGE;
  const offset = pageOffset(input, scope);
  const page = items.slice(offset, offset + max);
  const next = offset + page.length;
  return omitUndefined({ [key]: page.map(render), NextToken: next < items.length ? pageToken(scope, next) : undefined });
}

export function pageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ s: scope, o: offset }), 'utf8').toString('base64url');
}

export function pageOffset(input: Input, scope: string): number {
  const token = string(input, 'NextToken');
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
    if (parsed.s === scope && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // Falls through to the error below.
  }
  throw new AwsServiceError('InvalidNextTokenException', 'A token that is not valid, or a token that was previously used in a request with different parameters.');
}
