import { withLazyMember } from './lazy-member.js';

/**
 * Request bodies written into memory that earlier requests used. A fresh body of a megabyte is
 * new memory every time: the kernel maps it page by page as it is first written, and on a
 * virtual machine each of those page faults costs about 11 µs, more than encoding the text that
 * fills the page (measured: a PutLogEvents body of 700 entries, 4.6 µs per entry into fresh
 * memory, 1.4 µs into reused memory). A body is taken when a request is built and given back
 * when the request has settled; the pool keeps as many as were in use at once, at most `keep`.
 */
export class BodyPool {
  readonly #free: ArrayBuffer[] = [];
  readonly #keep: number;

  constructor(keep: number) {
    this.#keep = keep;
  }

  /** A buffer of exactly `bytes`, on reused memory when some is free and large enough. */
  take(bytes: number): Buffer {
    const free = this.#free;
    for (let i = free.length - 1; i >= 0; i--) {
      const memory = free[i] as ArrayBuffer;
      if (memory.byteLength >= bytes) {
        free.splice(i, 1);
        return Buffer.from(memory, 0, bytes);
      }
    }
    // Rounded up, so that a slightly larger body later still fits.
    return Buffer.from(new ArrayBuffer(Math.ceil(bytes / ROUND_BYTES) * ROUND_BYTES), 0, bytes);
  }

  /** Gives back a buffer from {@link take}, once nothing reads it any more. */
  give(body: Buffer): void {
    const free = this.#free;
    if (free.length >= this.#keep) {
      // Keep the larger ones.
      let smallest = 0;
      for (let i = 1; i < free.length; i++) if ((free[i] as ArrayBuffer).byteLength < (free[smallest] as ArrayBuffer).byteLength) smallest = i;
      if ((free[smallest] as ArrayBuffer).byteLength >= body.buffer.byteLength) return;
      free.splice(smallest, 1);
    }
    free.push(body.buffer as ArrayBuffer);
  }
}

const ROUND_BYTES = 64 * 1024;

/**
 * Calls `send` with the request body as a member built on first read (`send` may never read
 * it); `build` takes its memory from `pool` when there is one, which gets it back once the call
 * has settled. Only the built-in clients have a pool: they are known to be done with a body by then.
 */
export async function sendWithBody<Input, Options extends { abortSignal?: AbortSignal; body?: Uint8Array }, Output>(
  send: (input: Input, options?: Options) => Promise<Output>,
  input: Input,
  signal: AbortSignal,
  build: () => Buffer,
  pool: BodyPool | undefined,
): Promise<Output> {
  let built: Buffer | undefined;
  try {
    return await send(input, withLazyMember({ abortSignal: signal } as Options, 'body', () => (built = build())));
  } finally {
    if (built !== undefined) pool?.give(built);
  }
}
