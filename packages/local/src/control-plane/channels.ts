/** ListChannels, GetChannel, CreateChannel, UpdateChannel and DeleteChannel. */
import { parseChannelArn } from '@auditlake/core/internal';
import { AwsServiceError } from '../aws-error.js';
import { ACTIVITY_AUDIT_LOG_SELECTORS, type ChannelDestination, type ChannelInfo } from '../catalog.js';
import { SERVICE_LIMITS } from '../options.js';
import type { ControlPlaneContext, Input, Operation } from './context.js';
import { acceptsActivityAuditLog, findEventDataStore } from './event-data-stores.js';
import { paginate } from './pagination.js';
import { ARN_CHARS, checkName, object, omitUndefined, required, seconds, string, tagList } from './validation.js';

export const channelOperations: Record<string, Operation> = {
  ListChannels: listChannels,
  GetChannel: getChannel,
  CreateChannel: createChannel,
  UpdateChannel: updateChannel,
  DeleteChannel: deleteChannel,
};

function listChannels(context: ControlPlaneContext, input: Input): unknown {
  return paginate(input, 'channels', [...context.store.catalog.channels], (c: ChannelInfo) => ({ ChannelArn: c.arn, Name: c.name }), 'Channels');
}

function getChannel(context: ControlPlaneContext, input: Input): unknown {
  const channel = findChannel(context, required(input, 'Channel', 'ChannelARNInvalidException'));
  const status = context.store.ingestionStatus(channel);
  return {
    ChannelArn: channel.arn,
    Name: channel.name,
    Source: channel.source,
    SourceConfig: { ApplyToAllRegions: false, AdvancedEventSelectors: ACTIVITY_AUDIT_LOG_SELECTORS },
    Destinations: channel.destinations,
    IngestionStatus: omitUndefined({
      LatestIngestionSuccessTime: status.latestSuccessTime === undefined ? undefined : seconds(status.latestSuccessTime),
      LatestIngestionSuccessEventID: status.latestSuccessEventID,
      LatestIngestionErrorCode: status.latestErrorCode,
      LatestIngestionAttemptTime: status.latestAttemptTime === undefined ? undefined : seconds(status.latestAttemptTime),
      LatestIngestionAttemptEventID: status.latestAttemptEventID,
    }),
  };
}

function createChannel(context: ControlPlaneContext, input: Input): unknown {
  const { catalog } = context.store;
  const name = required(input, 'Name');
  checkName(name, 'Name');
  const source = required(input, 'Source');
  if (source.length > 256) throw new AwsServiceError('InvalidParameterException', 'Source must be 1 to 256 characters.');
  const destinations = destinationList(context, input.Destinations);
  const tags = tagList(input.Tags);
  if (tags.length > SERVICE_LIMITS.maxTags) throw new AwsServiceError('TagsLimitExceededException', `A channel can have at most ${SERVICE_LIMITS.maxTags} tags.`);
  if (catalog.channels.some((c) => c.name === name)) throw new AwsServiceError('ChannelAlreadyExistsException', `A channel named ${name} already exists.`);
  if (catalog.channels.length >= SERVICE_LIMITS.maxChannels) throw new AwsServiceError('ChannelMaxLimitExceededException', `The account already has the maximum of ${SERVICE_LIMITS.maxChannels} channels.`);
  const channel = catalog.addChannel({ name, source, destinations, tags }, context.now());
  return { ChannelArn: channel.arn, Name: channel.name, Source: channel.source, Destinations: channel.destinations, Tags: channel.tags };
}

function updateChannel(context: ControlPlaneContext, input: Input): unknown {
  const channel = findChannel(context, required(input, 'Channel', 'ChannelARNInvalidException'));
  const changes: Partial<ChannelInfo> = {};
  const name = string(input, 'Name');
  if (name !== undefined) {
    checkName(name, 'Name');
    if (context.store.catalog.channels.some((c) => c.name === name && c !== channel)) throw new AwsServiceError('ChannelAlreadyExistsException', `A channel named ${name} already exists.`);
    changes.name = name;
  }
  if (input.Destinations !== undefined && input.Destinations !== null) changes.destinations = destinationList(context, input.Destinations);
  context.store.catalog.updateChannel(channel, changes, context.now());
  return { ChannelArn: channel.arn, Name: channel.name, Source: channel.source, Destinations: channel.destinations };
}

function deleteChannel(context: ControlPlaneContext, input: Input): unknown {
  const channel = findChannel(context, required(input, 'Channel', 'ChannelARNInvalidException'));
  context.store.catalog.removeChannel(channel);
  context.store.forgetChannel(channel);
  return {};
}

/** The model's `Destinations`: 1 to 200 event data stores that collect `ActivityAuditLog`, as ARNs. */
function destinationList(context: ControlPlaneContext, value: unknown): ChannelDestination[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > 200) {
    throw new AwsServiceError('InvalidParameterException', 'Destinations must list 1 to 200 destinations.');
  }
  return value.map((destination: unknown, index) => {
    const d = object(destination, `Destinations[${index}]`);
    const type = required(d, 'Type');
    const location = required(d, 'Location');
    if (type === 'AWS_SERVICE') throw new AwsServiceError('InvalidParameterException', 'AWS_SERVICE destinations belong to service-linked channels, which the local lake does not have.');
    if (type !== 'EVENT_DATA_STORE') throw new AwsServiceError('InvalidParameterException', `Destinations[${index}].Type must be EVENT_DATA_STORE or AWS_SERVICE (actual: ${type}).`);
    const eds = findEventDataStore(context, location);
    if (!acceptsActivityAuditLog(eds)) {
      throw new AwsServiceError(
        'InvalidEventDataStoreCategoryException',
        `The event data store ${eds.id} does not collect eventCategory ActivityAuditLog; give it an advanced event selector with eventCategory = ActivityAuditLog.`,
      );
    }
    return { Type: 'EVENT_DATA_STORE', Location: eds.arn };
  });
}

export function findChannel(context: ControlPlaneContext, idOrArn: string): ChannelInfo {
  if (!ARN_CHARS.test(idOrArn) || idOrArn.length < 3 || idOrArn.length > 256 || (idOrArn.startsWith('arn:') && parseChannelArn(idOrArn) === undefined)) {
    throw new AwsServiceError('ChannelARNInvalidException', `The specified channel ARN or ID is not valid: ${idOrArn}`);
  }
  const channel = context.store.catalog.findChannel(idOrArn);
  if (!channel) throw new AwsServiceError('ChannelNotFoundException', `The channel ${idOrArn} does not exist.`);
  return channel;
}
