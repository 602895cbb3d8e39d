/**
 * The CloudTrail control plane (2013-11-01 model) over awsJson1_1: `POST /` with
 * `X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>`, the shapes,
 * limits and error names of the model. One file per operation group.
 */
import { operationNames, operationTable, type JsonService } from '../aws-json-dispatch.js';
import { channelOperations } from './channels.js';
import type { ControlPlaneContext } from './context.js';
import { eventDataStoreLifecycleOperations } from './event-data-store-lifecycle.js';
import { eventDataStoreOperations } from './event-data-stores.js';
import { queryOperations } from './queries.js';
import { resourcePolicyOperations } from './resource-policies.js';
import { tagOperations } from './tags.js';

export type { ControlPlaneContext } from './context.js';

export const TARGET_PREFIX = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';
/** The Smithy service shape name, which the JS SDK v3 sends as the target prefix (botocore sends the full one). */
const SHORT_TARGET_PREFIX = 'CloudTrail_20131101.';

export const CLOUDTRAIL_SERVICE: JsonService<ControlPlaneContext> = Object.freeze({
  signingName: 'cloudtrail',
  targetPrefixes: [TARGET_PREFIX, SHORT_TARGET_PREFIX],
  operations: operationTable<ControlPlaneContext>({
    ...queryOperations,
    ...channelOperations,
    ...eventDataStoreOperations,
    ...eventDataStoreLifecycleOperations,
    ...resourcePolicyOperations,
    ...tagOperations,
  }),
  // Stores whose seven days of PENDING_DELETION are over (on the lake's clock) go first.
  prepare: (context: ControlPlaneContext) => context.store.purgeExpired(context.now()),
});

/** Names of the operations the local lake implements. */
export const CONTROL_PLANE_OPERATIONS = operationNames(CLOUDTRAIL_SERVICE.operations);
