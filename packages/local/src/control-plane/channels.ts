/** ListChannels, GetChannel and CreateChannel. */
import { parseChannelArn } from '@auditlake/core';
import { AwsServiceError } from '../aws-error.js';
import { ACTIVITY_AUDIT_LOG_SELECTORS, type ChannelDestination, type ChannelInfo } from '../catalog.js';
import { SERVICE_LIMITS } from '../options.js';
import type { ControlPlaneContext, Input, Operation } from './context.js';
import { acceptsActivityAuditLog, findEventDataStore } from './event-data-stores.js';
import { paginate } from './pagination.js';
import { ARN_CHARS, checkName, object, omitUndefined, required, seconds, tagList } from './validation.js';

export const channelOperations: Record<string, Operation> = {
  ListChannels: listChannels,
  GetChannel: getChannel,
  CreateChannel: createChannel,
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
  const destinationsInput = input.Destinations;
  if (!Array.isArray(destinationsInput) || destinationsInput.length < 1 || destinationsInput.length > 200) {
    throw new AwsServiceError('InvalidParameterException', 'Destinations must list 1 to 200 destinations.');
  }
  const destinations: ChannelDestination[] = destinationsInput.map((destination: unknown, index) => {
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
  const tags = tagList(input.Tags);
  if (catalog.channels.some((c) => c.name === name)) throw new AwsServiceError('ChannelAlreadyExistsException', `A channel named ${name} already exists.`);
  if (catalog.channels.length >= SERVICE_LIMITS.maxChannels) throw new AwsServiceError('ChannelMaxLimitExceededException', `The account already has the maximum of ${SERVICE_LIMITS.maxChannels} channels.`);
  const channel = catalog.addChannel({ name, source, destinations, tags }, context.now());
  return { ChannelArn: channel.arn, Name: channel.name, Source: channel.source, Destinations: channel.destinations, Tags: channel.tags };
}

export function findChannel(context: ControlPlaneContext, idOrArn: string): ChannelInfo {
  if (!ARN_CHARS.test(idOrArn) || idOrArn.length < 3 || idOrArn.length > 256 || (idOrArn.startsWith('arn:') && parseChannelArn(idOrArn) === undefined)) {
    throw new AwsServiceError('ChannelARNInvalidException', `The specified channel ARN or ID is not valid: ${idOrArn}`);
  }
  const channel = context.store.catalog.findChannel(idOrArn);
  if (!channel) throw new AwsServiceError('ChannelNotFoundException', `The channel ${idOrArn} does not exist.`);
  return channel;
}
