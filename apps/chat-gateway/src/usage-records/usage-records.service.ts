import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { usageDifference, ZERO_USAGE } from '@chat-ledger/contracts';
import { DomainError, ErrorCode, Principal } from '@chat-ledger/platform';
import { UsageRecordHistoryResponse } from './dto/usage-record.response';
import { recordState } from './upsert-usage-record.use-case';
import { UsageRecordsRepository } from './usage-records.repository';

@Injectable()
export class UsageRecordsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly records: UsageRecordsRepository,
  ) {}

  /**
   * The record's latest revision and every accepted one, oldest first, each with what it changed. A token naming
   * an organisation sees that organisation's records only (another's: as if it did not exist).
   */
  async get(principal: Principal, source: string, externalId: string): Promise<UsageRecordHistoryResponse> {
    // One snapshot: the record and its revisions as one commit left them.
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const record = await this.records.find(manager, source, externalId);
      if (!record || (principal.orgId !== undefined && record.org_id !== principal.orgId)) {
        throw new DomainError(ErrorCode.UsageRecordNotFound, `no usage record ${source}/${externalId}`, [
          { field: 'external_id', problem: `no usage record with this id from source ${source}` },
        ]);
      }
      const history = await this.records.history(manager, source, externalId);
      const byRevision = new Map(history.map((h) => [h.revision, h]));
      return {
        ...recordState(record, byRevision.get(record.revision)!),
        history: history.map((h) => ({
          revision: h.revision,
          previous_revision: h.previous_revision,
          occurred_at: h.occurred_at,
          usage: h.usage,
          delta: usageDifference(h.usage, h.previous_revision === null ? ZERO_USAGE : byRevision.get(h.previous_revision)!.usage),
          event_id: h.event_id,
          received_at: h.received_at,
        })),
      };
    });
  }
}
