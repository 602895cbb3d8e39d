// A stand-in for the AWS Lambda runtime, for test/lambda.test.ts. It loads a handler module
// once (the cold start), then runs one invocation per line on stdin, {"event": …, "timeoutMs": …},
// with a context whose getRemainingTimeInMillis() counts down from timeoutMs, and writes each
// outcome as one line on stdout. Between invocations the main thread blocks in a synchronous
// read of stdin, so none of its timers or sockets run; the test also stops the whole process
// (SIGSTOP, worker threads included) while it looks at the lake, as Lambda freezes an
// execution environment between invocations. Usage: lambda-runtime.mjs <handler.mjs>
import { readSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const { handler } = await import(pathToFileURL(process.argv[2]).href);

/** The next line of stdin, read without the event loop; undefined at the end of input. */
function nextInvocation() {
  const bytes = [];
  const byte = Buffer.alloc(1);
  for (;;) {
    if (readSync(0, byte, 0, 1, null) === 0) return undefined;
    if (byte[0] === 0x0a) return Buffer.from(bytes).toString('utf8');
    bytes.push(byte[0]);
  }
}

let invocation = 0;
for (let line = nextInvocation(); line !== undefined; line = nextInvocation()) {
  const { event, timeoutMs } = JSON.parse(line);
  const deadline = Date.now() + timeoutMs;
  const context = { awsRequestId: `request-${invocation++}`, functionName: 'auditlake-test', getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  let outcome;
  try {
    outcome = { result: await handler(event, context) };
  } catch (error) {
    outcome = { error: String(error) };
  }
  outcome.remainingMs = context.getRemainingTimeInMillis();
  // Writes to a pipe are synchronous on Linux: the line is out before the thread blocks again.
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}
