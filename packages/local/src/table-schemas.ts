/**
 * The SQL shapes of the lake's tables. A schema says which columns a table has, and how rows
 * come out of a staged file of framed log lines (`{"hash":…,"record":{…}}`, one per line).
 * Every table also has two internal columns the query engine needs: `__seq` (the position in
 * the log) and `__ingested` (when the lake stored the row; retention counts from it).
 *
 * Column sets are CloudTrail Lake's own (the "CloudTrail Lake SQL constraints" page of the
 * CloudTrail user guide): integration events (`eventCategory = ActivityAuditLog`) and
 * CloudTrail events (management, data, network activity). Another source kind (e.g. a
 * CloudWatch Logs log group) is another `TableSchema`.
 */

export interface TableSchema {
  /** A name for messages and for the internal tables. */
  readonly kind: string;
  /** Column definitions of the stored table, the internal columns first. */
  readonly tableColumns: string;
  /** The columns SQL sees, in order. */
  readonly publicColumns: string;
  /**
   * A SELECT of table rows (in `tableColumns` order) from a staged file of framed lines; `file`
   * is a quoted SQL string, `maxLineBytes` the longest line in it (DuckDB sizes its buffers by it).
   */
  stageSelect(file: string, maxLineBytes: number): string;
}

const MAP = 'MAP(VARCHAR, VARCHAR)';
const INTERNAL_COLUMNS = '__seq BIGINT, __ingested TIMESTAMP';

/** An ISO-8601 text as a UTC TIMESTAMP (offsets applied), NULL when it is not one. The engine's time zone is UTC. */
export function utcTimestamp(expression: string): string {
  return `TRY_CAST(TRY_CAST(${expression} AS TIMESTAMPTZ) AS TIMESTAMP)`;
}

export function readFramed(file: string, maxLineBytes: number, recordType: string): string {
  // DuckDB allocates buffers of twice the maximum object size, per thread: size it to the data, not to the worst case.
  const maxObject = Math.max(1024 * 1024, maxLineBytes + 1024);
  return (
    `read_json(${file}, format = 'newline_delimited', ignore_errors = true, maximum_object_size = ${maxObject}, ` +
    `columns = {hash: 'VARCHAR', record: '${recordType.replaceAll("'", "''")}'})`
  );
}

/** json_transform structure: unknown keys are dropped, missing ones NULL, nested values of a map become JSON text. */
export function structure(shape: Record<string, unknown>): string {
  return JSON.stringify(shape).replaceAll("'", "''");
}

// ---- integration events ----

export const INTEGRATION_EVENT_DATA = {
  version: 'VARCHAR',
  userIdentity: { type: 'VARCHAR', principalId: 'VARCHAR', details: MAP },
  userAgent: 'VARCHAR',
  eventSource: 'VARCHAR',
  eventName: 'VARCHAR',
  eventTime: 'VARCHAR',
  UID: 'VARCHAR',
  requestParameters: MAP,
  responseElements: MAP,
  errorCode: 'VARCHAR',
  errorMessage: 'VARCHAR',
  sourceIPAddress: 'VARCHAR',
  recipientAccountId: 'VARCHAR',
  additionalEventData: MAP,
};
export const INTEGRATION_EVENT_DATA_TYPE =
  `STRUCT(version VARCHAR, userIdentity STRUCT(type VARCHAR, principalId VARCHAR, details ${MAP}), userAgent VARCHAR, eventSource VARCHAR, ` +
  `eventName VARCHAR, eventTime VARCHAR, UID VARCHAR, requestParameters ${MAP}, responseElements ${MAP}, errorCode VARCHAR, errorMessage VARCHAR, ` +
  `sourceIPAddress VARCHAR, recipientAccountId VARCHAR, additionalEventData ${MAP})`;
const INTEGRATION_RECORD_TYPE =
  'STRUCT(seq BIGINT, eventVersion VARCHAR, eventCategory VARCHAR, eventType VARCHAR, eventID VARCHAR, eventTime VARCHAR, awsRegion VARCHAR, ' +
  'recipientAccountId VARCHAR, metadata STRUCT(ingestionTime VARCHAR, channelARN VARCHAR), id VARCHAR, eventData VARCHAR)';

/**
 * Integration events. The top-level `eventTime` is the event's own time (`eventData.eventTime`,
 * read as a timestamp): the schema page lists it as "the event timestamp", apart from
 * `metadata.ingestionTime`. That reading comes from the docs; the service was not observed.
 */
export const integrationEventSchema: TableSchema = {
  kind: 'integration',
  tableColumns:
    `${INTERNAL_COLUMNS}, eventVersion VARCHAR, eventCategory VARCHAR, eventType VARCHAR, eventID VARCHAR, eventTime TIMESTAMP, awsRegion VARCHAR, ` +
    'recipientAccountId VARCHAR, addendum STRUCT(reason VARCHAR, updatedFields VARCHAR, originalUID VARCHAR, originalEventID VARCHAR), ' +
    `metadata STRUCT(ingestionTime VARCHAR, channelARN VARCHAR), eventData ${INTEGRATION_EVENT_DATA_TYPE}`,
  publicColumns: 'eventVersion, eventCategory, eventType, eventID, eventTime, awsRegion, recipientAccountId, addendum, metadata, eventData',
  stageSelect(file, maxLineBytes) {
    const ingested = utcTimestamp('record.eventTime');
    return (
      `SELECT seq, ingested, record.eventVersion, record.eventCategory, record.eventType, record.eventID, ` +
      `coalesce(${utcTimestamp('data.eventTime')}, ingested), record.awsRegion, record.recipientAccountId, NULL, ` +
      `{'ingestionTime': record.metadata.ingestionTime, 'channelARN': record.metadata.channelARN}, data ` +
      `FROM (SELECT record, record.seq AS seq, ${ingested} AS ingested, ` +
      // try(): a damaged eventData is NULL, not a failed load (cheaper than checking json_valid first).
      `try(json_transform(record.eventData, '${structure(INTEGRATION_EVENT_DATA)}')) AS data ` +
      `FROM ${readFramed(file, maxLineBytes, INTEGRATION_RECORD_TYPE)} WHERE record.seq IS NOT NULL)`
    );
  },
};

// ---- CloudTrail events ----

const USER_IDENTITY = {
  type: 'VARCHAR',
  principalId: 'VARCHAR',
  arn: 'VARCHAR',
  accountId: 'VARCHAR',
  accessKeyId: 'VARCHAR',
  userName: 'VARCHAR',
  sessionContext: {
    attributes: { creationDate: 'TIMESTAMP', mfaAuthenticated: 'VARCHAR' },
    sessionIssuer: { type: 'VARCHAR', principalId: 'VARCHAR', arn: 'VARCHAR', accountId: 'VARCHAR', userName: 'VARCHAR' },
    webIdFederationData: { federatedProvider: 'VARCHAR', attributes: MAP },
    sourceIdentity: 'VARCHAR',
    ec2RoleDelivery: 'VARCHAR',
    ec2IssuedInVPC: 'VARCHAR',
  },
  invokedBy: 'VARCHAR',
  identityProvider: 'VARCHAR',
};
const CLOUDTRAIL_EVENT = {
  eventVersion: 'VARCHAR',
  userIdentity: USER_IDENTITY,
  eventTime: 'VARCHAR',
  eventSource: 'VARCHAR',
  eventName: 'VARCHAR',
  awsRegion: 'VARCHAR',
  sourceIPAddress: 'VARCHAR',
  userAgent: 'VARCHAR',
  errorCode: 'VARCHAR',
  errorMessage: 'VARCHAR',
  requestParameters: MAP,
  responseElements: MAP,
  additionalEventData: MAP,
  requestID: 'VARCHAR',
  eventID: 'VARCHAR',
  readOnly: 'BOOLEAN',
  resources: [{ accountId: 'VARCHAR', type: 'VARCHAR', ARN: 'VARCHAR', arnPrefix: 'VARCHAR' }],
  eventType: 'VARCHAR',
  apiVersion: 'VARCHAR',
  managementEvent: 'BOOLEAN',
  recipientAccountId: 'VARCHAR',
  sharedEventID: 'VARCHAR',
  annotation: 'VARCHAR',
  vpcEndpointId: 'VARCHAR',
  vpcEndpointAccountId: 'VARCHAR',
  serviceEventDetails: MAP,
  addendum: MAP,
  edgeDeviceDetails: MAP,
  insightDetails: MAP,
  eventCategory: 'VARCHAR',
  tlsDetails: { tlsVersion: 'VARCHAR', cipherSuite: 'VARCHAR', clientProvidedHostHeader: 'VARCHAR' },
  sessionCredentialFromConsole: 'VARCHAR',
};
const CLOUDTRAIL_COLUMNS: [string, string][] = [
  ['eventVersion', 'VARCHAR'],
  [
    'userIdentity',
    'STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, accessKeyId VARCHAR, userName VARCHAR, ' +
      'sessionContext STRUCT(attributes STRUCT(creationDate TIMESTAMP, mfaAuthenticated VARCHAR), ' +
      'sessionIssuer STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR), ' +
      `webIdFederationData STRUCT(federatedProvider VARCHAR, attributes ${MAP}), sourceIdentity VARCHAR, ec2RoleDelivery VARCHAR, ec2IssuedInVPC VARCHAR), ` +
      'invokedBy VARCHAR, identityProvider VARCHAR)',
  ],
  ['eventTime', 'TIMESTAMP'],
  ['eventSource', 'VARCHAR'],
  ['eventName', 'VARCHAR'],
  ['awsRegion', 'VARCHAR'],
  ['sourceIPAddress', 'VARCHAR'],
  ['userAgent', 'VARCHAR'],
  ['errorCode', 'VARCHAR'],
  ['errorMessage', 'VARCHAR'],
  ['requestParameters', MAP],
  ['responseElements', MAP],
  ['additionalEventData', MAP],
  ['requestID', 'VARCHAR'],
  ['eventID', 'VARCHAR'],
  ['readOnly', 'BOOLEAN'],
  ['resources', 'STRUCT(accountId VARCHAR, type VARCHAR, arn VARCHAR, arnPrefix VARCHAR)[]'],
  ['eventType', 'VARCHAR'],
  ['apiVersion', 'VARCHAR'],
  ['managementEvent', 'BOOLEAN'],
  ['recipientAccountId', 'VARCHAR'],
  ['sharedEventID', 'VARCHAR'],
  ['annotation', 'VARCHAR'],
  ['vpcEndpointId', 'VARCHAR'],
  ['vpcEndpointAccountId', 'VARCHAR'],
  ['serviceEventDetails', MAP],
  ['addendum', MAP],
  ['edgeDeviceDetails', MAP],
  ['insightDetails', MAP],
  ['eventCategory', 'VARCHAR'],
  ['tlsDetails', 'STRUCT(tlsVersion VARCHAR, cipherSuite VARCHAR, clientProvidedHostHeader VARCHAR)'],
  ['sessionCredentialFromConsole', 'VARCHAR'],
  ['eventJson', 'VARCHAR'],
  ['eventJsonChecksum', 'VARCHAR'],
];

/** The parts of the transformed event that need more than a copy. */
const CLOUDTRAIL_SPECIAL: Record<string, string> = {
  eventTime: `coalesce(${utcTimestamp('e.eventTime')}, ingested)`,
  resources: "list_transform(e.resources, r -> {'accountId': r.accountId, 'type': r.type, 'arn': r.ARN, 'arnPrefix': r.arnPrefix})",
  eventJson: 'json_text',
  // What the service puts there is not documented.
  eventJsonChecksum: 'NULL',
};

/**
 * CloudTrail events (management, data and network activity events) as CloudTrail Lake shows
 * them. Nothing in the local lake writes such events, so these tables stay empty unless a
 * writer appends framed records `{"seq": n, "ingestionTime": "<ISO-8601>", "event": {<a CloudTrail event record>}}`
 * to the store's log; they exist so that queries written for them, and UNIONs with
 * integration stores, run.
 */
export const cloudTrailEventSchema: TableSchema = {
  kind: 'cloudtrail',
  tableColumns: `${INTERNAL_COLUMNS}, ${CLOUDTRAIL_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')}`,
  publicColumns: CLOUDTRAIL_COLUMNS.map(([name]) => name).join(', '),
  stageSelect(file, maxLineBytes) {
    const values = CLOUDTRAIL_COLUMNS.map(([name]) => CLOUDTRAIL_SPECIAL[name] ?? `e.${name}`).join(', ');
    return (
      `SELECT seq, ingested, ${values} FROM (SELECT record.seq AS seq, ${utcTimestamp('record.ingestionTime')} AS ingested, ` +
      `CAST(record.event AS VARCHAR) AS json_text, json_transform(record.event, '${structure(CLOUDTRAIL_EVENT)}') AS e ` +
      `FROM ${readFramed(file, maxLineBytes, 'STRUCT(seq BIGINT, ingestionTime VARCHAR, event JSON)')} WHERE record.seq IS NOT NULL AND record.event IS NOT NULL)`
    );
  },
};

// ---- AWS Config configuration items ----

const CONFIG_EVENT_DATA = {
  configurationItemVersion: 'VARCHAR',
  configurationItemCaptureTime: 'VARCHAR',
  configurationItemStatus: 'VARCHAR',
  configurationStateId: 'VARCHAR',
  accountId: 'VARCHAR',
  resourceType: 'VARCHAR',
  resourceId: 'VARCHAR',
  resourceName: 'VARCHAR',
  ARN: 'VARCHAR',
  awsRegion: 'VARCHAR',
  availabilityZone: 'VARCHAR',
  resourceCreationTime: 'VARCHAR',
  configuration: MAP,
  supplementaryConfiguration: MAP,
  relatedEvents: 'VARCHAR',
  relationships: { name: 'VARCHAR', resourceType: 'VARCHAR', resourceId: 'VARCHAR', resourceName: 'VARCHAR' },
  tags: MAP,
};
const CONFIG_EVENT_DATA_TYPE =
  'STRUCT(configurationItemVersion VARCHAR, configurationItemCaptureTime VARCHAR, configurationItemStatus VARCHAR, configurationStateId VARCHAR, ' +
  'accountId VARCHAR, resourceType VARCHAR, resourceId VARCHAR, resourceName VARCHAR, ARN VARCHAR, awsRegion VARCHAR, availabilityZone VARCHAR, ' +
  `resourceCreationTime VARCHAR, configuration ${MAP}, supplementaryConfiguration ${MAP}, relatedEvents VARCHAR, ` +
  `relationships STRUCT(name VARCHAR, resourceType VARCHAR, resourceId VARCHAR, resourceName VARCHAR), tags ${MAP})`;

/**
 * AWS Config configuration items (`eventCategory = ConfigurationItem`). Like CloudTrail event
 * stores, empty unless a writer appends `{"seq", "ingestionTime", "event": {<item record>}}`.
 * `eventJson` is not on the schema page, but AWS's Config sample queries read it.
 */
export const configurationItemSchema: TableSchema = {
  kind: 'config',
  tableColumns:
    `${INTERNAL_COLUMNS}, eventVersion VARCHAR, eventCategory VARCHAR, eventType VARCHAR, eventID VARCHAR, eventTime TIMESTAMP, awsRegion VARCHAR, ` +
    `recipientAccountId VARCHAR, addendum ${MAP}, eventData ${CONFIG_EVENT_DATA_TYPE}, eventJson VARCHAR`,
  publicColumns: 'eventVersion, eventCategory, eventType, eventID, eventTime, awsRegion, recipientAccountId, addendum, eventData, eventJson',
  stageSelect(file, maxLineBytes) {
    const structureText = structure({ eventVersion: 'VARCHAR', eventCategory: 'VARCHAR', eventType: 'VARCHAR', eventID: 'VARCHAR', eventTime: 'VARCHAR', awsRegion: 'VARCHAR', recipientAccountId: 'VARCHAR', addendum: MAP, eventData: CONFIG_EVENT_DATA });
    return (
      `SELECT seq, ingested, e.eventVersion, e.eventCategory, e.eventType, e.eventID, coalesce(${utcTimestamp('e.eventTime')}, ingested), e.awsRegion, ` +
      `e.recipientAccountId, e.addendum, e.eventData, json_text FROM (SELECT record.seq AS seq, ${utcTimestamp('record.ingestionTime')} AS ingested, ` +
      `CAST(record.event AS VARCHAR) AS json_text, json_transform(record.event, '${structureText}') AS e ` +
      `FROM ${readFramed(file, maxLineBytes, 'STRUCT(seq BIGINT, ingestionTime VARCHAR, event JSON)')} WHERE record.seq IS NOT NULL AND record.event IS NOT NULL)`
    );
  },
};
