import * as api from '@opentelemetry/api';
import { expect, it } from 'vitest';

// These tests run twice: project otel against SDK 0.x (API 1.9), project otel-3 against SDK 3.x
// (API 1.10). This one proves which generation a run really loaded.
it('runs against the OpenTelemetry generation its vitest project names', ({ task }) => {
  const current = task.file.projectName === 'otel-3';
  // API 1.10 carries the logs API that SDK 3.x uses instead of @opentelemetry/api-logs. The
  // project's alias sends @opentelemetry/sdk-logs, core and resources the same way as the API.
  expect('logs' in api).toBe(current);
});
