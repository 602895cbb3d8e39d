import { processAlive, processStartTime } from '@auditlake/core/internal';

export { processAlive, processStartTime };

/** Whether the process `pid` that started at `startTime` still runs (without a start time: any process with that pid). */
export function sameProcessAlive(pid: number, startTime: number | undefined): boolean {
  if (!processAlive(pid)) return false;
  if (startTime === undefined) return true;
  const now = processStartTime(pid);
  return now === undefined || now === startTime;
}
