import { readFileSync } from 'node:fs';

/** Whether a process with this pid exists (EPERM: it does, and belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When the process started, in clock ticks since boot (field 22 of `/proc/<pid>/stat`);
 * `undefined` where there is no procfs or no such process. With the pid it names one process
 * for good: a pid is reused, a pid with its start time is not.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const value = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the process `pid` that started at `startTime` still runs: not when the pid is free,
 * nor when another process has it now. Without a start time, or where the current one cannot be
 * read, any process with that pid counts: a live owner is never taken for a dead one.
 */
export function sameProcessAlive(pid: number, startTime: number | undefined): boolean {
  if (!processAlive(pid)) return false;
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}
