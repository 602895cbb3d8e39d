import { AwsRequestError } from '../errors.js';
import { readErrorResponse, requestIdOf, type RawResponse } from './http-client.js';

/**
 * The JSON object of a 2xx response; an `AwsRequestError` for any other status (the service's
 * error) or for a body that is not a JSON object (`InvalidResponse`, which is retried). An empty
 * body reads as `{}`: operations without output may send one.
 */
export function readJsonResponse(response: RawResponse): object {
  if (response.statusCode < 200 || response.statusCode >= 300) throw readErrorResponse(response);
  let json: unknown;
  try {
    json = response.body.length > 0 ? JSON.parse(response.body) : {};
  } catch {
    json = undefined;
  }
  if (json === undefined || json === null || typeof json !== 'object') {
    throw new AwsRequestError(`HTTP ${response.statusCode} with a body that is not JSON`, { errorCode: 'InvalidResponse', statusCode: response.statusCode, requestId: requestIdOf(response) });
  }
  return json;
}
