/**
 * Severity numbers of the logs data model, for records emitted in tests. The SDK's own enum is
 * in @opentelemetry/api-logs for 0.x and in @opentelemetry/api for 3.x; these tests run on both.
 */
export const Severity = { UNSPECIFIED: 0, DEBUG: 5, INFO: 9, WARN: 13, WARN2: 14, ERROR3: 19 } as const;
