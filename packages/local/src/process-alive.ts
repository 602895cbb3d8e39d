import { processAlive, processStartTime, sameProcessAlive } from '@auditlake/core/internal';

export { processAlive, sameProcessAlive };

/** A process as lock files name it: `<pid> <start time>` (just `<pid>` where there is no procfs, and in older files). */
export interface ProcessMark {
  pid: number;
  startTime: number | undefined;
}

/** This process's mark, as text. */
export function ownProcessMark(): string {
  const startTime = processStartTime(process.pid);
  return startTime === undefined ? String(process.pid) : `${process.pid} ${startTime}`;
}

/** The process a lock file's text names; undefined when it names none (released, empty, damaged). */
export function parseProcessMark(text: string): ProcessMark | undefined {
  const [pidText, startText] = text.trim().split(' ');
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!(Number.isInteger(pid) && pid > 0)) return undefined;
  const startTime = startText === undefined ? undefined : Number(startText);
  return { pid, startTime: Number.isFinite(startTime) ? startTime : undefined };
}
