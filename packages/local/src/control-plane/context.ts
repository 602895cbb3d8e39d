import type { JsonInput, JsonOperation } from '../aws-json-dispatch.js';
import type { LakeStore } from '../lake-store.js';
import type { QueryRegistry } from '../query-registry.js';

/** What every CloudTrail control-plane operation runs against. */
export interface ControlPlaneContext {
  store: LakeStore;
  queries: QueryRegistry;
  now: () => number;
}

export type Input = JsonInput;
export type Operation = JsonOperation<ControlPlaneContext>;
