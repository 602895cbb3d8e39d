/**
 * Keeps idle connections from locking clients out: at most `maxConnections` sockets are open;
 * a new connection beyond that evicts the connection idle the longest (one with no request in
 * flight), and is refused only when every connection is busy. Connections idle for
 * `idleTimeoutMs` are closed.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

interface Tracked {
  active: number;
}

export interface ConnectionLimiter {
  /** Marks a request started on `socket`; call the returned function when its response is done. */
  begin(socket: Socket): () => void;
  /** Open connections. */
  readonly size: number;
}

export function limitConnections(
  server: Server,
  options: { maxConnections: number; idleTimeoutMs: number; onEvict: (reason: 'evicted' | 'refused') => void },
): ConnectionLimiter {
  // Insertion order is recency: a socket is moved to the end whenever it finishes a request.
  const sockets = new Map<Socket, Tracked>();
  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { active: 0 });
    socket.once('close', () => sockets.delete(socket));
    socket.setTimeout(options.idleTimeoutMs, () => {
      if ((sockets.get(socket)?.active ?? 0) === 0) socket.destroy();
    });
    if (sockets.size <= options.maxConnections) return;
    for (const [candidate, state] of sockets) {
      if (candidate === socket || state.active > 0) continue;
      sockets.delete(candidate);
      candidate.destroy();
      options.onEvict('evicted');
      return;
    }
    sockets.delete(socket);
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    options.onEvict('refused');
  });
  return {
    begin(socket) {
      const state = sockets.get(socket);
      if (!state) return () => {};
      state.active++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        state.active--;
        if (sockets.delete(socket)) sockets.set(socket, state);
      };
    },
    get size() {
      return sockets.size;
    },
  };
}

/**
 * Half the process's soft limit of open files (Linux `/proc/self/limits`), between 16 and
 * 1024: the rest stays for the logs, DuckDB and the runtime.
 */
export function defaultMaxConnections(): number {
  let soft: number | undefined;
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
    soft = line === undefined || line === 'unlimited' ? undefined : Number(line);
  } catch {
    soft = undefined;
  }
  if (soft === undefined) return 1024;
  return Math.max(16, Math.min(1024, Math.floor(soft / 2)));
}
