/**
 * DeleteEventDataStore and RestoreEventDataStore. As the model says: deleting needs termination
 * protection off and no channel logging to the store (`ChannelExistsForEDSException`); the store
 * then is `PENDING_DELETION` for seven days (on the lake's clock), can be read
 * (`GetEventDataStore`, `ListEventDataStores`) and restored, but not queried, changed or tagged
 * (`InactiveEventDataStoreException`); after the wait it is gone, files and all.
 */
import { AwsServiceError } from '../aws-error.js';
import { isActive } from '../catalog.js';
import type { ControlPlaneContext, Input, Operation } from './context.js';
import { checkNameFree, checkQuota, describeStore, findEventDataStore } from './event-data-stores.js';
import { required } from './validation.js';

export const eventDataStoreLifecycleOperations: Record<string, Operation> = {
  DeleteEventDataStore: deleteEventDataStore,
  RestoreEventDataStore: restoreEventDataStore,
};

function deleteEventDataStore(context: ControlPlaneContext, input: Input): unknown {
  const eds = findEventDataStore(context, required(input, 'EventDataStore', 'EventDataStoreARNInvalidException'));
  if (eds.terminationProtectionEnabled) {
    throw new AwsServiceError(
      'EventDataStoreTerminationProtectedException',
      `The event data store ${eds.arn} cannot be deleted because termination protection is enabled for it; turn it off with UpdateEventDataStore (TerminationProtectionEnabled: false).`,
    );
  }
  const feeding = context.store.catalog.channels.filter((channel) => channel.destinations.some((d) => d.Location === eds.arn));
  if (feeding.length > 0) {
    throw new AwsServiceError('ChannelExistsForEDSException', `The event data store ${eds.arn} is in use by the channel ${feeding.map((c) => c.arn).join(', ')}; delete the channel first (DeleteChannel).`);
  }
  const now = context.now();
  context.store.catalog.updateEventDataStore(eds, { status: 'PENDING_DELETION', deletedAt: now }, now);
  return {};
}

function restoreEventDataStore(context: ControlPlaneContext, input: Input): unknown {
  const eds = findEventDataStore(context, required(input, 'EventDataStore', 'EventDataStoreARNInvalidException'), { pending: 'allow' });
  if (isActive(eds)) throw new AwsServiceError('InvalidEventDataStoreStatusException', `The event data store ${eds.arn} is not pending deletion (status ${eds.status ?? 'ENABLED'}).`);
  checkQuota(context);
  checkNameFree(context, eds.name, eds);
  const restored = context.store.catalog.updateEventDataStore(eds, { status: 'ENABLED', deletedAt: undefined }, context.now());
  return describeStore(restored);
}
