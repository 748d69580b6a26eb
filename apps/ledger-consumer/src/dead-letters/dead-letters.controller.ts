import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { CrossTenant, CursorFields, decodeKeysetCursor, encodeKeysetCursor, RequireScopes, Scopes } from '@chat-ledger/platform';
import { bytePreview } from './byte-preview';
import { DeadLettersRepository } from './dead-letters.repository';
import { DeadLettersPage } from './dto/dead-letters.response';
import { ListDeadLettersQueryDto } from './dto/list-dead-letters.query.dto';

/** How much of a record's key and value a list shows (escaped, see bytePreview). */
const PREVIEW_BYTES = 512;

/**
 * Records the ledger could not take, as they arrived: why (reason, error), where (topic, partition, offset), and
 * the start of the raw key and value as an escaped preview (never the raw bytes themselves: a record may hold
 * anything, up to the topic's size limit). The same scope as the sequence gaps: usage:read_all.
 */
@ApiTags('ledger-admin')
@ApiBearerAuth()
@RequireScopes(Scopes.usageReadAll)
@CrossTenant()
@Controller('v1/admin/ledger')
export class DeadLettersController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: DeadLettersRepository,
  ) {}

  @Get('dead-letters')
  @ApiOperation({ summary: 'Dead letters (rejected Kafka records) with reason, error and an escaped preview of the raw bytes, newest first' })
  @ApiOkResponse({ type: DeadLettersPage })
  async list(@Query() query: ListDeadLettersQueryDto): Promise<DeadLettersPage> {
    const beforeId = query.cursor === undefined ? undefined : (decodeKeysetCursor(query.cursor, [CursorFields.bigintId])[0] as string);
    const manager = this.dataSource.manager;
    const [rows, totals] = await Promise.all([
      this.repository.list(manager, { reason: query.reason, beforeId, limit: query.limit + 1, headBytes: PREVIEW_BYTES + 1 }),
      this.repository.counts(manager),
    ]);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      totals,
      list: page.map((r) => ({
        id: Number(r.id),
        reason: r.reason,
        error: r.error,
        event_id: r.event_id,
        event_type: r.event_type,
        kafka: { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.kafka_timestamp },
        key: { ...bytePreview(r.key_head, PREVIEW_BYTES), bytes: r.key_bytes },
        value: { ...bytePreview(r.value_head, PREVIEW_BYTES), bytes: r.value_bytes },
        headers: r.headers,
        received_at: r.received_at,
        dlq_published_at: r.dlq_published_at,
      })),
      next_cursor: rows.length > query.limit && last ? encodeKeysetCursor([last.id]) : null,
    };
  }
}
