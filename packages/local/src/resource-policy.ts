/**
 * Channel resource policies, reduced to what PutAuditEvents needs: which accounts may call
 * it, and which external ids they must present. The rules are the user guide's
 * (query-lake-cli.md): Resource is the channel ARN, the only action is
 * `cloudtrail-data:PutAuditEvents`, 1–20 statements of 1–50 principals, and the external-id
 * condition key is `cloudtrail:ExternalId`.
 */

export interface ChannelGrant {
  /** Accounts the statement allows ("*" for anyone). */
  accounts: string[];
  /** External ids the statement requires (any of them), or none. */
  externalIds: string[];
}

/** Parses a policy; a string is what is wrong with it (`ResourcePolicyNotValidException`). */
export function parseChannelPolicy(text: string, channelArn: string): ChannelGrant[] | string {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return 'The resource policy is not valid JSON.';
  }
  if (!isObject(policy)) return 'The resource policy must be a JSON object.';
  const statements = Array.isArray(policy.Statement) ? policy.Statement : isObject(policy.Statement) ? [policy.Statement] : undefined;
  if (!statements || statements.length < 1 || statements.length > 20) return 'The resource policy must have 1 to 20 statements.';
  const grants: ChannelGrant[] = [];
  for (const [index, statement] of statements.entries()) {
    const where = `Statement ${index + 1}`;
    if (!isObject(statement)) return `${where} must be an object.`;
    if (statement.Effect !== 'Allow') return `${where}: only "Effect": "Allow" is supported.`;
    const actions = list(statement.Action);
    if (actions.length === 0 || actions.some((action) => action !== 'cloudtrail-data:PutAuditEvents')) {
      return `${where}: the only allowed action is cloudtrail-data:PutAuditEvents.`;
    }
    const resources = list(statement.Resource);
    if (resources.length === 0 || resources.some((resource) => resource !== channelArn)) return `${where}: Resource must be the channel ARN ${channelArn}.`;
    const principal = statement.Principal;
    const principals = principal === '*' ? ['*'] : isObject(principal) ? list(principal.AWS) : [];
    if (principals.length < 1 || principals.length > 50) return `${where} must name 1 to 50 principals in Principal.AWS.`;
    const accounts: string[] = [];
    for (const p of principals) {
      const account = p === '*' ? '*' : /^\d{12}$/.test(p) ? p : /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(p)?.[1];
      if (account === undefined) return `${where}: principal ${JSON.stringify(p)} is not an account id or an IAM ARN.`;
      accounts.push(account);
    }
    const externalIds: string[] = [];
    if (statement.Condition !== undefined) {
      if (!isObject(statement.Condition)) return `${where}: Condition must be an object.`;
      for (const [operator, block] of Object.entries(statement.Condition)) {
        if (!isObject(block)) return `${where}: Condition.${operator} must be an object.`;
        for (const [key, value] of Object.entries(block)) {
          if (key.toLowerCase() !== 'cloudtrail:externalid' || operator !== 'StringEquals') {
            return `${where}: the only supported condition is StringEquals on cloudtrail:ExternalId.`;
          }
          externalIds.push(...list(value));
        }
      }
    }
    grants.push({ accounts, externalIds });
  }
  return grants;
}

/** The policy that `startLocalLake({ externalId })` puts on the default channel. */
export function externalIdPolicy(channelArn: string, accountId: string, externalId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AuditLakeLocalExternalId',
        Effect: 'Allow',
        Principal: { AWS: [accountId] },
        Action: 'cloudtrail-data:PutAuditEvents',
        Resource: channelArn,
        Condition: { StringEquals: { 'cloudtrail:ExternalId': externalId } },
      },
    ],
  });
}

/**
 * Whether `callerAccount` (presenting `externalId`) may put events into a channel owned by
 * `ownerAccount`; a string says why not. Without a policy only the owner may. With one, a
 * statement must allow the caller (the owner always is), and when the policy names external
 * ids, every call must present one: the user guide says "all calls".
 */
export function checkChannelAccess(grants: ChannelGrant[] | undefined, ownerAccount: string, callerAccount: string, externalId: string | undefined): string | undefined {
  if (!grants || grants.length === 0) {
    return callerAccount === ownerAccount ? undefined : `Account ${callerAccount} is not the owner of the channel (${ownerAccount}), and the channel has no resource policy that allows it.`;
  }
  const required = grants.some((grant) => grant.externalIds.length > 0);
  const matches = (grant: ChannelGrant) =>
    (grant.accounts.includes('*') || grant.accounts.includes(callerAccount) || callerAccount === ownerAccount) &&
    (grant.externalIds.length === 0 ? !required || callerAccount !== ownerAccount : externalId !== undefined && grant.externalIds.includes(externalId));
  if (grants.some(matches)) return undefined;
  if (required && externalId === undefined) return 'The channel requires an external ID; call PutAuditEvents with the externalId the channel resource policy names.';
  if (required) return 'The external ID does not match the one the channel resource policy requires.';
  return `The channel resource policy does not allow account ${callerAccount}.`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
