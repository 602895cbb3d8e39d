import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// packages/core/README.md documents every option from one source, the TSDoc of
// AuditSinkOptions: this fails when an option, its default or its text changed there and the
// table was not regenerated (node scripts/options-table.mjs).
it("core's README has the options table of the current AuditSinkOptions", () => {
  const script = fileURLToPath(new URL('../scripts/options-table.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});

it('the generator reads inherited options, every environment variable, defaults, and leaves out @internal ones', () => {
  const script = fileURLToPath(new URL('../scripts/options-table.mjs', import.meta.url));
  const fixture = fileURLToPath(new URL('./fixtures/options-table/options.ts', import.meta.url));
  const program = `const { readOptions, renderTable } = await import(${JSON.stringify(script)}); console.log(renderTable(readOptions(${JSON.stringify(fixture)})));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.stdout.trim().split('\n')).toEqual([
    '| option | environment | default | what it does |',
    '| --- | --- | --- | --- |',
    '| `channelArn` | `AUDITLAKE_CHANNEL_ARN` | required | The channel. Required. |',
    '| `endpoint` | `AUDITLAKE_ENDPOINT`, `AWS_ENDPOINT_URL_CLOUDTRAIL_DATA`, `AWS_ENDPOINT_URL` | `https://cloudtrail-data.<region>.amazonaws.com` | Base URL \\| of the service. |',
    '| `maxBatchEvents` | — | 100 | Most events per request. |',
    '| `spoolDir` | `AUDITLAKE_SPOOL_DIR` | none: memory only | Directory that keeps accepted events until delivered. |',
  ]);
});
