import { uuidv7 } from '../ids/uuid-v7';
import type { EventContract } from '../registry/event-contract';
import { toRfc3339Micros } from '../time/rfc3339';
import type { EventEnvelope } from './event-envelope';

/**
 * The one way producers build an envelope: the contract's type and version, a UUIDv7 id (time-ordered, so
 * journal pages and outbox scans follow creation order) and `occurred_at` in UTC with microseconds.
 */
export function buildEnvelope<TType extends string, TData>(
  contract: EventContract<TType, TData>,
  input: { source: string; data: TData; id?: string; occurredAt?: string | Date },
): EventEnvelope<TType, TData> {
  const occurred = input.occurredAt ?? new Date();
  return {
    id: input.id ?? uuidv7(),
    type: contract.type,
    version: contract.version,
    source: input.source,
    occurred_at: typeof occurred === 'string' ? occurred : toRfc3339Micros(occurred),
    data: input.data,
  };
}
