/** Small helpers shared by the benchmark scripts. */
import { cpus, loadavg, release, totalmem, type } from 'node:os';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Prints a Markdown table, so results paste straight into the README. */
export function printTable(header, rows) {
  const widths = header.map((title, i) => Math.max(String(title).length, ...rows.map((row) => String(row[i]).length)));
  const line = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of rows) console.log(line(row));
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The machine line printed with every table: CPU model, cores, Node, OS, and how busy it was. */
export function machineLine() {
  const cpu = cpus();
  return `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; ${type()} ${release()}; load average ${loadavg()[0].toFixed(2)} at start.`;
}

/** `ours / baseline` as `0.87×`, or `—` when either side is missing or zero. */
export function ratio(ours, baseline) {
  return Number.isFinite(ours) && Number.isFinite(baseline) && baseline !== 0 ? `${(ours / baseline).toFixed(2)}×` : '—';
}

/** Parses a JSON option value (e.g. `--options '{"spoolDir":"/tmp/s"}'`), naming the flag when it is not an object. */
export function jsonObject(text, flag) {
  if (text === undefined || text === '') return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${flag} is invalid, expected a JSON object (actual: ${text}): ${error.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${flag} is invalid, expected a JSON object (actual: ${text})`);
  return value;
}

export const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');
export const mib = (bytes) => fmt(bytes / 2 ** 20);
