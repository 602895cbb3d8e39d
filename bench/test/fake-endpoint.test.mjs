// The fake endpoint is what every side-by-side figure is counted by, so it is tested with the
// real clients the benches run: the AWS SDK's CloudWatch Logs client, the OTel OTLP/HTTP
// exporters (JSON and protobuf) and core's signed PutAuditEvents client.
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DescribeLogStreamsCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { createPutAuditEventsClient } from '@auditlake/core';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeEndpoint } from '../fake-endpoint.mjs';
import { countProtobufLogRecords } from '../otlp-protobuf.mjs';
import { record } from '../workload.mjs';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
let fake;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const cloudWatch = (url) => new CloudWatchLogsClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 });
const line = (i) => ({ timestamp: 1_700_000_000_000 + i, message: JSON.stringify(record(i)) });
const chosen = (n, from = 0) => Array.from({ length: n }, (_, i) => line(from + i));

describe('CloudWatch Logs, as the AWS SDK calls it', () => {
  it('creates groups and streams, describes them, and counts every event of PutLogEvents', async () => {
    fake = await startFakeEndpoint();
    const client = cloudWatch(fake.url);
    await client.send(new CreateLogGroupCommand({ logGroupName: 'g' }));
    await expect(client.send(new CreateLogGroupCommand({ logGroupName: 'g' }))).rejects.toMatchObject({ name: 'ResourceAlreadyExistsException' });
    await client.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }));
    const described = await client.send(new DescribeLogStreamsCommand({ logGroupName: 'g', logStreamNamePrefix: 's' }));
    expect(described.logStreams?.map((s) => s.logStreamName)).toEqual(['s']);
    const put = await client.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 's', logEvents: chosen(30) }));
    expect(put.nextSequenceToken).toBeTypeOf('string');
    // Ten of them again: duplicates, not new records.
    await client.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 's', logEvents: chosen(10, 25) }));
    expect(fake.counts()).toMatchObject({ records: 40, distinct: 35, duplicates: 5, unmarked: 0, accepted: 2 });
    client.destroy();
  });

  it('answers what the service answers for a missing stream and for events out of order, and counts nothing', async () => {
    fake = await startFakeEndpoint();
    const client = cloudWatch(fake.url);
    await expect(client.send(new DescribeLogStreamsCommand({ logGroupName: 'nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await client.send(new CreateLogGroupCommand({ logGroupName: 'g' }));
    await expect(client.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 'missing', logEvents: chosen(1) }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await client.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }));
    const reversed = chosen(2).reverse();
    await expect(client.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 's', logEvents: reversed }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    expect(fake.counts()).toMatchObject({ records: 0, distinct: 0 });
    client.destroy();
  });
});

describe('OTLP/HTTP logs, as the OTel exporters send them', () => {
  for (const [format, Exporter] of [
    ['JSON', JsonExporter],
    ['protobuf', ProtoExporter],
  ]) {
    it(`counts every record of a ${format} export of several records per request`, async () => {
      fake = await startFakeEndpoint();
      const provider = new LoggerProvider({ processors: [new BatchLogRecordProcessor({ exporter: new Exporter({ url: `${fake.url}/v1/logs` }) })] });
      const logger = provider.getLogger('test');
      for (let i = 0; i < 25; i++) logger.emit({ body: 'x', attributes: record(i) });
      await provider.forceFlush();
      await provider.shutdown();
      expect(fake.counts()).toMatchObject({ records: 25, distinct: 25, duplicates: 0, unmarked: 0, accepted: 1 });
    });
  }

  it('refuses a malformed protobuf body instead of guessing a count', () => {
    // Field 1 (length-delimited) says 5 bytes follow; only 2 do.
    expect(() => countProtobufLogRecords(Uint8Array.from([0x0a, 0x05, 0x12, 0x00]))).toThrow(/runs past/);
    expect(countProtobufLogRecords(new Uint8Array(0))).toBe(0);
  });
});

describe('PutAuditEvents', () => {
  it('accepts a signed request from core’s client and answers every id as successful', async () => {
    fake = await startFakeEndpoint();
    const client = createPutAuditEventsClient({ region: 'us-east-1', endpoint: fake.url, credentials });
    const auditEvents = Array.from({ length: 3 }, (_, i) => ({ id: `e${i}`, eventData: JSON.stringify(record(i)) }));
    const out = await client.send({ channelArn: 'arn:aws:cloudtrail:us-east-1:123456789012:channel/x', auditEvents });
    expect(out.successful.map((s) => s.id)).toEqual(['e0', 'e1', 'e2']);
    expect(out.failed).toEqual([]);
    expect(fake.counts()).toMatchObject({ records: 3, distinct: 3 });
    client.destroy();
  });
});

describe('faults and outages', () => {
  const channelArn = 'arn:aws:cloudtrail:us-east-1:123456789012:channel/x';
  const auditEvents = [{ id: 'e0', eventData: JSON.stringify(record(0)) }];

  it('throttles with each API’s own error, and counts a throttled request as not accepted', async () => {
    fake = await startFakeEndpoint({ faults: { throttle: 1 } });
    const cw = cloudWatch(fake.url);
    await cw.send(new CreateLogGroupCommand({ logGroupName: 'g' }));
    await cw.send(new CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }));
    await expect(cw.send(new PutLogEventsCommand({ logGroupName: 'g', logStreamName: 's', logEvents: chosen(1) }))).rejects.toMatchObject({ name: 'ThrottlingException' });
    const core = createPutAuditEventsClient({ region: 'us-east-1', endpoint: fake.url, credentials });
    await expect(core.send({ channelArn, auditEvents })).rejects.toMatchObject({ errorCode: 'ThrottlingException', statusCode: 429 });
    const otlp = await fetch(`${fake.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs":[]}' });
    expect(otlp.status).toBe(429);
    expect(fake.counts()).toMatchObject({ records: 0, throttled: 3 });
    cw.destroy();
    core.destroy();
  });

  it('resets connections before accepting anything', async () => {
    fake = await startFakeEndpoint({ faults: { reset: 1 } });
    const core = createPutAuditEventsClient({ region: 'us-east-1', endpoint: fake.url, credentials });
    await expect(core.send({ channelArn, auditEvents })).rejects.toThrow();
    expect(fake.counts()).toMatchObject({ records: 0, reset: 1 });
    core.destroy();
  });

  it('refuses connections while down, answers 503 in the 503 mode, and accepts again once up', async () => {
    fake = await startFakeEndpoint();
    await fake.setDown('refused');
    await expect(fetch(`${fake.url}/v1/logs`, { method: 'POST', body: '{}' })).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await fake.setDown('503');
    const during = await fetch(`${fake.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceLogs":[]}' });
    expect(during.status).toBe(503);
    await fake.setDown(false);
    const core = createPutAuditEventsClient({ region: 'us-east-1', endpoint: fake.url, credentials });
    await core.send({ channelArn, auditEvents });
    expect(fake.counts()).toMatchObject({ records: 1, distinct: 1 });
    core.destroy();
  });
});
