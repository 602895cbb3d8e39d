/** PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy, on channels only. */
import { AwsServiceError } from '../aws-error.js';
import type { ChannelInfo } from '../catalog.js';
import { parseChannelPolicy } from '../resource-policy.js';
import type { ControlPlaneContext, Input, Operation } from './context.js';
import { ARN_CHARS, required } from './validation.js';

export const resourcePolicyOperations: Record<string, Operation> = {
  PutResourcePolicy: putResourcePolicy,
  GetResourcePolicy: getResourcePolicy,
  DeleteResourcePolicy: deleteResourcePolicy,
};

function putResourcePolicy(context: ControlPlaneContext, input: Input): unknown {
  const channel = policyChannel(context, input);
  const policy = required(input, 'ResourcePolicy');
  if (policy.length > 8192) throw new AwsServiceError('ResourcePolicyNotValidException', 'ResourcePolicy must be 1 to 8192 characters.');
  const problem = parseChannelPolicy(policy, channel.arn);
  if (typeof problem === 'string') throw new AwsServiceError('ResourcePolicyNotValidException', problem);
  context.store.catalog.setResourcePolicy(channel, policy, context.now());
  return { ResourceArn: channel.arn, ResourcePolicy: policy };
}

function getResourcePolicy(context: ControlPlaneContext, input: Input): unknown {
  const channel = policyChannel(context, input);
  if (channel.resourcePolicy === undefined) throw new AwsServiceError('ResourcePolicyNotFoundException', `The channel ${channel.arn} has no resource policy.`);
  return { ResourceArn: channel.arn, ResourcePolicy: channel.resourcePolicy };
}

function deleteResourcePolicy(context: ControlPlaneContext, input: Input): unknown {
  const channel = policyChannel(context, input);
  if (channel.resourcePolicy === undefined) throw new AwsServiceError('ResourcePolicyNotFoundException', `The channel ${channel.arn} has no resource policy.`);
  context.store.catalog.setResourcePolicy(channel, undefined, context.now());
  return {};
}

function policyChannel(context: ControlPlaneContext, input: Input): ChannelInfo {
  const arn = required(input, 'ResourceArn', 'ResourceARNNotValidException');
  if (!ARN_CHARS.test(arn) || !arn.startsWith('arn:')) throw new AwsServiceError('ResourceARNNotValidException', `${arn} is not a valid resource ARN.`);
  if (!/:channel\//.test(arn)) throw new AwsServiceError('ResourceTypeNotSupportedException', 'The local lake supports resource policies on channels only.');
  const channel = context.store.catalog.findChannel(arn);
  if (!channel) throw new AwsServiceError('ResourceNotFoundException', `The channel ${arn} does not exist.`);
  return channel;
}
