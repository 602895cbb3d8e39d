/** The PutAuditEvents client: restJson1 over the signed HTTP client (`cloudtrail-data`). */
import type { AuditEvent } from '../../audit-event.js';
import { createAwsHttpClient, type AwsHttpClientOptions, type SignedRequest } from '../../aws/http-client.js';
import { readJsonResponse } from '../../aws/json-response.js';

export interface PutAuditEventsInput {
  /** The channel's ARN. */
  channelArn: string;
  /** Required when the channel's resource policy has an external-id condition. */
  externalId?: string;
  /** 1–100 events. */
  auditEvents: AuditEvent[];
}

export interface PutAuditEventsOutput {
  successful: { id: string; eventID: string }[];
  failed: { id: string; errorCode: string; errorMessage: string }[];
}

export interface PutAuditEventsSendOptions {
  /** Aborts the call (timeouts, shutdown). */
  abortSignal?: AbortSignal;
  /**
   * The request body already serialized from `input`: the UTF-8 bytes of what
   * `JSON.stringify({ auditEvents: input.auditEvents })` writes. The sink offers it (built
   * lazily, on first read) so that the built-in client need not serialize again; any other
   * `send` may ignore it at no cost.
   */
  body?: Uint8Array;
}

/**
 * The shape of a PutAuditEvents call. The official client plugs in as
 * `(input, { abortSignal }) => client.send(new PutAuditEventsCommand(input), { abortSignal })`.
 */
export type PutAuditEventsSend = (input: PutAuditEventsInput, options?: PutAuditEventsSendOptions) => Promise<PutAuditEventsOutput>;

export type PutAuditEventsClientOptions = Omit<AwsHttpClientOptions, 'service' | 'requestTimeoutMs' | 'maxSockets'> & {
  /** Per-request time limit, from the first byte sent to the last byte received. @default 10000 */
  requestTimeoutMs?: number;
  /** Keep-alive sockets per host. @default 50 */
  maxSockets?: number;
};

export interface PutAuditEventsClient {
  send: PutAuditEventsSend;
  /** Builds and signs the request without sending it (for inspection, and for benchmarks). */
  prepare(input: PutAuditEventsInput, body?: Uint8Array): Promise<SignedRequest>;
  /** Closes idle keep-alive sockets. Requests still in flight finish. */
  destroy(): void;
}

export function createPutAuditEventsClient(options: PutAuditEventsClientOptions): PutAuditEventsClient {
  const http = createAwsHttpClient({ requestTimeoutMs: 10_000, maxSockets: 50, ...options, service: 'cloudtrail-data' });
  const prepare = (input: PutAuditEventsInput, bytes?: Uint8Array): Promise<SignedRequest> => {
    const body = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.from(JSON.stringify({ auditEvents: input.auditEvents }), 'utf8');
    const query: Record<string, string> = { channelArn: input.channelArn };
    if (input.externalId !== undefined) query.externalId = input.externalId;
    return http.prepare('/PutAuditEvents', query, { 'content-type': 'application/json' }, body);
  };
  return {
    prepare,
    async send(input, { abortSignal, body } = {}) {
      abortSignal?.throwIfAborted();
      const { successful, failed } = readJsonResponse(await http.exchange(await prepare(input, body), abortSignal)) as Partial<PutAuditEventsOutput>;
      return { successful: Array.isArray(successful) ? successful : [], failed: Array.isArray(failed) ? failed : [] };
    },
    destroy: () => http.destroy(),
  };
}
