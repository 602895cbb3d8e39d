// Stands in for @opentelemetry/api-logs in the otel-3 vitest project: SDK 3.x no longer depends
// on it, so a user of that generation does not have it, and nothing we ship may import it.
throw new Error('@opentelemetry/api-logs was imported, but it is not installed next to OpenTelemetry SDK 3.x');
