/**
 * Dispatch of awsJson1_1 requests (`POST /` with `X-Amz-Target: <prefix><Operation>`): each
 * service is a table of operations under its target prefixes, so another service (CloudWatch
 * Logs' `Logs_20140328.`) is one more table. Tables have no prototype and lookups are
 * own-property only: a target such as `…constructor` or `…__proto__` names no operation.
 */
import { AwsServiceError, parseJsonBody } from './aws-error.js';

export type JsonInput = Record<string, unknown>;
export type JsonOperation<Context> = (context: Context, input: JsonInput) => unknown;
export type OperationTable<Context> = Readonly<Record<string, JsonOperation<Context>>>;

export interface JsonService<Context> {
  /** The SigV4 signing name requests must be scoped to, e.g. `cloudtrail`. */
  readonly signingName: string;
  /** Target prefixes, e.g. the full Smithy id botocore sends and the short one the JS SDK v3 sends. */
  readonly targetPrefixes: readonly string[];
  readonly operations: OperationTable<Context>;
  /** Runs before each operation of the service, e.g. to bring time-driven state up to date. */
  readonly prepare?: (context: Context) => Promise<void> | void;
}

/** A frozen, prototype-less copy of `operations`. */
export function operationTable<Context>(operations: Record<string, JsonOperation<Context>>): OperationTable<Context> {
  const table = Object.create(null) as Record<string, JsonOperation<Context>>;
  for (const [name, operation] of Object.entries(operations)) table[name] = operation;
  return Object.freeze(table);
}

/** Names of a table's operations. */
export function operationNames<Context>(table: OperationTable<Context>): string[] {
  return Object.keys(table);
}

export interface ResolvedTarget<Context> {
  service: JsonService<Context>;
  /** The operation name as sent (for the request log), whether or not the service has it. */
  name: string;
  operation: JsonOperation<Context> | undefined;
}

/** Which service and operation a target names; undefined when no service has its prefix. */
export function resolveTarget<Context>(services: readonly JsonService<Context>[], target: string | undefined): ResolvedTarget<Context> | undefined {
  if (target === undefined) return undefined;
  for (const service of services) {
    const prefix = service.targetPrefixes.find((p) => target.startsWith(p));
    if (prefix === undefined) continue;
    const name = target.slice(prefix.length);
    const operation = Object.hasOwn(service.operations, name) ? service.operations[name] : undefined;
    return { service, name, operation };
  }
  return undefined;
}

/** Runs a resolved operation on a request body; unknown targets and bad bodies are the service's errors. */
export async function runJsonOperation<Context>(context: Context, resolved: ResolvedTarget<Context> | undefined, target: string | undefined, body: Buffer): Promise<unknown> {
  if (resolved === undefined) {
    throw new AwsServiceError('UnknownOperationException', `Unknown operation ${target === undefined ? '(no X-Amz-Target header)' : target}.`);
  }
  if (resolved.operation === undefined) {
    throw new AwsServiceError(
      'UnsupportedOperationException',
      `The local lake does not implement ${resolved.name}; it implements ${operationNames(resolved.service.operations).join(', ')}.`,
    );
  }
  const input = parseJsonBody(body);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new AwsServiceError('SerializationException', 'The request body must be a JSON object.');
  await resolved.service.prepare?.(context);
  return resolved.operation(context, input as JsonInput);
}
