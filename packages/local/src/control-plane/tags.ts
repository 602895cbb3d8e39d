/**
 * AddTags, ListTags and RemoveTags on channels and event data stores, by ARN (the model's
 * `ResourceId`): at most 50 tags per resource, a new value replaces the old one of its key,
 * and removing goes by key.
 */
import { AwsServiceError } from '../aws-error.js';
import type { ChannelInfo, EventDataStoreInfo, Tag } from '../catalog.js';
import { SERVICE_LIMITS } from '../options.js';
import type { ControlPlaneContext, Input, Operation } from './context.js';
import { findEventDataStore } from './event-data-stores.js';
import { required, tagList } from './validation.js';

export const tagOperations: Record<string, Operation> = {
  AddTags: addTags,
  ListTags: listTags,
  RemoveTags: removeTags,
};

const RESOURCE_ARN = /^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):(\d{12}):([a-z]+)\/([A-Za-z0-9._-]+)$/;
const MAX_LISTED_RESOURCES = 20;

type Resource = { kind: 'channel'; value: ChannelInfo } | { kind: 'store'; value: EventDataStoreInfo };

function addTags(context: ControlPlaneContext, input: Input): unknown {
  const resource = findResource(context, required(input, 'ResourceId', 'CloudTrailARNInvalidException'));
  const added = tagList(input.TagsList);
  const keys = new Set<string>();
  for (const tag of added) {
    if (keys.has(tag.Key)) throw new AwsServiceError('InvalidTagParameterException', `The tag key ${tag.Key} appears twice in TagsList.`);
    keys.add(tag.Key);
  }
  const tags: Tag[] = [...resource.value.tags.filter((tag) => !keys.has(tag.Key)), ...added];
  if (tags.length > SERVICE_LIMITS.maxTags) {
    throw new AwsServiceError('TagsLimitExceededException', `A resource can have at most ${SERVICE_LIMITS.maxTags} tags; ${resource.value.arn} would have ${tags.length}.`);
  }
  setTags(context, resource, tags);
  return {};
}

function removeTags(context: ControlPlaneContext, input: Input): unknown {
  const resource = findResource(context, required(input, 'ResourceId', 'CloudTrailARNInvalidException'));
  const keys = new Set(tagList(input.TagsList).map((tag) => tag.Key));
  setTags(context, resource, resource.value.tags.filter((tag) => !keys.has(tag.Key)));
  return {};
}

function listTags(context: ControlPlaneContext, input: Input): unknown {
  const ids = input.ResourceIdList;
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new AwsServiceError('InvalidParameterException', 'ResourceIdList must be a list of ARNs.');
  if (ids.length > MAX_LISTED_RESOURCES) throw new AwsServiceError('InvalidParameterException', `ResourceIdList can name at most ${MAX_LISTED_RESOURCES} resources (actual: ${ids.length}).`);
  return {
    ResourceTagList: (ids as string[]).map((id) => {
      const resource = findResource(context, id);
      return { ResourceId: resource.value.arn, TagsList: resource.value.tags };
    }),
  };
}

function setTags(context: ControlPlaneContext, resource: Resource, tags: Tag[]): void {
  const { catalog } = context.store;
  if (resource.kind === 'channel') catalog.updateChannel(resource.value, { tags }, context.now());
  else catalog.updateEventDataStore(resource.value, { tags }, context.now());
}

/** The resource an ARN names; a store pending deletion is `InactiveEventDataStoreException` (the model lists it for all three calls). */
function findResource(context: ControlPlaneContext, arn: string): Resource {
  const match = RESOURCE_ARN.exec(arn);
  if (!match) throw new AwsServiceError('CloudTrailARNInvalidException', `${arn} is not a valid CloudTrail ARN (arn:aws:cloudtrail:<region>:<account>:eventdatastore/<id> or …:channel/<id>).`);
  const [, , , type, id] = match as unknown as [string, string, string, string, string];
  if (type === 'eventdatastore') {
    const eds = context.store.catalog.findEventDataStore(arn);
    if (!eds) throw new AwsServiceError('EventDataStoreNotFoundException', `The specified event data store was not found: ${arn}`);
    return { kind: 'store', value: findEventDataStore(context, eds.arn) };
  }
  if (type === 'channel') {
    const channel = context.store.catalog.findChannel(arn);
    if (!channel) throw new AwsServiceError('ChannelNotFoundException', `The channel ${arn} does not exist.`);
    return { kind: 'channel', value: channel };
  }
  throw new AwsServiceError('ResourceTypeNotSupportedException', `The local lake tags channels and event data stores only, not ${type} ${id}.`);
}
