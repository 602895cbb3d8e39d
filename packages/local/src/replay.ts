/**
 * `auditlake replay` is core's replay (`@auditlake/core`'s `replayDeadLetters`, also its own
 * `auditlake-replay` command): original ids, a progress file, so a second run sends nothing
 * already accepted. What fails again goes to a new dead-letter file, never back into the one
 * being read.
 */
export { replayDeadLetters } from '@auditlake/core';
export type { ReplayOptions, ReplayReport } from '@auditlake/core';
