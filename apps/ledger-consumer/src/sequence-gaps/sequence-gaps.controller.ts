import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CrossTenant, CursorFields, decodeKeysetCursor, encodeKeysetCursor, RequireScopes, Scopes } from '@chat-ledger/platform';
import { ListSequenceGapsQueryDto } from './dto/list-sequence-gaps.query.dto';
import { SequenceGapsPage } from './dto/sequence-gaps.response';
import { SequenceGapsRepository } from './sequence-gaps.repository';

/**
 * Gaps and reorders of the per-user sequence numbers the gateway gives its events: a missing or late event
 * is visible here, not assumed away. A gap that is later filled shows as a gap followed by a reorder.
 */
@ApiTags('ledger-admin')
@ApiBearerAuth()
@RequireScopes(Scopes.usageReadAll)
@CrossTenant()
@Controller('v1/admin/ledger')
export class SequenceGapsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: SequenceGapsRepository,
  ) {}

  @Get('sequence-gaps')
  @ApiOperation({ summary: 'Per-user sequence gaps and reorders seen by the ledger, newest first' })
  @ApiOkResponse({ type: SequenceGapsPage })
  async list(@Query() query: ListSequenceGapsQueryDto): Promise<SequenceGapsPage> {
    const beforeId = query.cursor === undefined ? undefined : (decodeKeysetCursor(query.cursor, [CursorFields.bigintId])[0] as string);
    const manager = this.dataSource.manager;
    const [rows, totals] = await Promise.all([
      this.repository.list(manager, { userId: query.user_id, kind: query.kind, beforeId, limit: query.limit + 1 }),
      this.repository.counts(manager),
    ]);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      totals,
      list: page.map((r) => ({
        id: Number(r.id),
        user_id: r.user_id,
        kind: r.kind,
        expected_seq: Number(r.expected_seq),
        seen_seq: Number(r.seen_seq),
        event_id: r.event_id,
        kafka: { topic: r.kafka_topic, partition: r.kafka_partition, offset: r.kafka_offset },
        detected_at: r.detected_at,
      })),
      next_cursor: rows.length > query.limit && last ? encodeKeysetCursor([last.id]) : null,
    };
  }
}
