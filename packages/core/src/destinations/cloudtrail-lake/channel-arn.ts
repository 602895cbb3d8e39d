/** Channel ARNs: `arn:<partition>:cloudtrail:<region>:<account-id>:channel/<channel-id>`. */

export interface ChannelArn {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly channelId: string;
}

const CHANNEL_ARN = /^arn:(aws[a-z-]*):cloudtrail:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):channel\/([A-Za-z0-9._-]{1,128})$/;

/** The rule a channel ARN must follow, as configuration errors state it. */
export const CHANNEL_ARN_RULE = 'arn:<partition>:cloudtrail:<region>:<12-digit account>:channel/<id>';

export function parseChannelArn(arn: unknown): ChannelArn | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = CHANNEL_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, region, accountId, channelId] = match as unknown as [string, string, string, string, string];
  return { arn, partition, region, accountId, channelId };
}

/** Each partition's DNS suffix, from botocore's partitions.json. */
export const DNS_SUFFIX: Readonly<Record<string, string>> = {
  aws: 'amazonaws.com',
  'aws-cn': 'amazonaws.com.cn',
  'aws-us-gov': 'amazonaws.com',
  'aws-iso': 'c2s.ic.gov',
  'aws-iso-b': 'sc2s.sgov.gov',
  'aws-iso-e': 'cloud.adc-e.uk',
  'aws-iso-f': 'csp.hci.ic.gov',
  'aws-eusc': 'amazonaws.eu',
};

/** The service's default endpoint, per the cloudtrail-data endpoint rule set. */
export function defaultEndpoint(partition: string, region: string): string {
  return `https://cloudtrail-data.${region}.${DNS_SUFFIX[partition] ?? DNS_SUFFIX.aws}`;
}
