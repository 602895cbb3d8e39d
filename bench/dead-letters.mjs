// Counts the letters of a dead-letter file (JSON Lines) by reason code, reading only what was
// appended since the last call: an outage run can write hundreds of MiB of letters. A read that
// ends inside a multi-byte character garbles only a string value, never the reason code.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

export function deadLetterCounter(path) {
  let offset = 0;
  let partial = '';
  const byReason = {};
  let total = 0;
  let unreadable = 0;
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  return {
    /** Reads what was appended, returns { total, byReason, unreadable }. A torn last line waits for its end. */
    poll() {
      if (existsSync(path)) {
        const fd = openSync(path, 'r');
        try {
          const size = fstatSync(fd).size;
          while (offset < size) {
            const read = readSync(fd, chunk, 0, Math.min(chunk.length, size - offset), offset);
            if (read === 0) break;
            offset += read;
            const lines = (partial + chunk.toString('utf8', 0, read)).split('\n');
            partial = lines.pop();
            for (const line of lines) {
              if (line.trim() === '') continue;
              let code;
              try {
                code = JSON.parse(line).reason?.code ?? 'no reason';
              } catch {
                unreadable++;
                continue;
              }
              byReason[code] = (byReason[code] ?? 0) + 1;
              total++;
            }
          }
        } finally {
          closeSync(fd);
        }
      }
      return { total, byReason: { ...byReason }, unreadable };
    },
  };
}

/** `QueueFull 190,000, RetryDeadline 12` (or `none`). */
export function formatReasons(byReason) {
  const entries = Object.entries(byReason).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'none' : entries.map(([code, n]) => `${code} ${n.toLocaleString('en-US')}`).join(', ');
}

/** Letters by reason over several runs: the median per reason, with the range when runs differ (`QueueFull 7,700 (0–12,000)`). */
export function summarizeReasons(runs, median) {
  const codes = [...new Set(runs.flatMap((byReason) => Object.keys(byReason)))];
  if (codes.length === 0) return 'none';
  const fmt = (n) => n.toLocaleString('en-US');
  return codes
    .map((code) => ({ code, counts: runs.map((byReason) => byReason[code] ?? 0) }))
    .sort((a, b) => median(b.counts) - median(a.counts))
    .map(({ code, counts }) => {
      const low = Math.min(...counts);
      const high = Math.max(...counts);
      return `${code} ${fmt(median(counts))}${low === high ? '' : ` (${fmt(low)}–${fmt(high)})`}`;
    })
    .join(', ');
}
