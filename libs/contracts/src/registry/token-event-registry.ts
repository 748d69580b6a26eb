import { budgetThresholdCrossedV1 } from '../events/budget-threshold-crossed/v1/budget-threshold-crossed-v1.event';
import { chatMessageRecordedV1 } from '../events/chat-message-recorded/v1/chat-message-recorded-v1.event';
import { chatMessageRecordedV2 } from '../events/chat-message-recorded/v2/chat-message-recorded-v2.event';
import { chatMessageRecordedV3 } from '../events/chat-message-recorded/v3/chat-message-recorded-v3.event';
import { taskCompletedV1 } from '../events/task-completed/v1/task-completed-v1.event';
import { taskCompletedV2 } from '../events/task-completed/v2/task-completed-v2.event';
import { tokensAdjustedV1 } from '../events/tokens-adjusted/v1/tokens-adjusted-v1.event';
import { tokensAdjustedV2 } from '../events/tokens-adjusted/v2/tokens-adjusted-v2.event';
import { tokensAdjustedV3 } from '../events/tokens-adjusted/v3/tokens-adjusted-v3.event';
import { usageUpsertedV1 } from '../events/usage-upserted/v1/usage-upserted-v1.event';
import { usageUpsertedV2 } from '../events/usage-upserted/v2/usage-upserted-v2.event';
import { userErasedV1 } from '../events/user-erased/v1/user-erased-v1.event';
import type { EventContract } from './event-contract';

/**
 * Every (type, version) the token-events topic may carry. Adding a version or a type is one entry here
 * plus its folder under events/; consumers dead-letter anything not listed, never guess.
 */
export const TOKEN_EVENT_CONTRACTS = [
  chatMessageRecordedV1,
  chatMessageRecordedV2,
  chatMessageRecordedV3,
  tokensAdjustedV1,
  tokensAdjustedV2,
  tokensAdjustedV3,
  budgetThresholdCrossedV1,
  taskCompletedV1,
  taskCompletedV2,
  usageUpsertedV1,
  usageUpsertedV2,
  userErasedV1,
] as const;

export type TokenEventContract = (typeof TOKEN_EVENT_CONTRACTS)[number];

/** The decoded form of each contract: envelope fields the consumers rely on, plus its normalised data. */
export type DecodedEventOf<C> =
  C extends EventContract<infer TType, infer _TData, infer TDecoded>
    ? { id: string; type: TType; version: number; source: string; occurred_at: string; user_seq: number | null; data: TDecoded }
    : never;

export type DecodedTokenEvent = DecodedEventOf<TokenEventContract>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyContract = EventContract<string, any, unknown>;

const BY_TYPE = new Map<string, Map<number, AnyContract>>();
for (const contract of TOKEN_EVENT_CONTRACTS as readonly AnyContract[]) {
  const versions = BY_TYPE.get(contract.type) ?? new Map<number, AnyContract>();
  if (versions.has(contract.version)) throw new Error(`two contracts for ${contract.type} v${contract.version}`);
  versions.set(contract.version, contract);
  BY_TYPE.set(contract.type, versions);
}

/** The contract of (type, version), or why there is none. */
export function lookupContract(type: string, version: number): { contract: AnyContract } | { unknown: 'type' | 'version'; known?: number[] } {
  const versions = BY_TYPE.get(type);
  if (!versions) return { unknown: 'type' };
  const contract = versions.get(version);
  if (!contract) return { unknown: 'version', known: [...versions.keys()].sort((a, b) => a - b) };
  return { contract };
}
