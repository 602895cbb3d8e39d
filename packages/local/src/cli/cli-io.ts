/**
 * What a command touches outside itself, so that `main()` runs the same in a process and in a
 * test: output streams, standard input, the environment, and how a server learns to stop.
 */
import { debuglog } from 'node:util';
import type { Diagnostics } from '@auditlake/core';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Read by `query -`. */
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Calls `stop` on the first SIGINT/SIGTERM (a second one exits at once). */
  onStopSignal(stop: (signal: string) => void): void;
}

/** A usage mistake: exit code 2, with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    onStopSignal(stop) {
      const once = (signal: NodeJS.Signals) => {
        process.once(signal, () => process.exit(130));
        stop(signal);
      };
      process.once('SIGINT', once);
      process.once('SIGTERM', once);
    },
  };
}

/** Diagnostics of the commands: to stderr, debug lines with NODE_DEBUG=auditlake. */
export function cliDiagnostics(io: CliIo): Diagnostics {
  return {
    debug: debuglog('auditlake'),
    warn: (message) => io.stderr.write(`${message}\n`),
    error: (message) => io.stderr.write(`${message}\n`),
  };
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk));
  return Buffer.concat(chunks).toString('utf8');
}
