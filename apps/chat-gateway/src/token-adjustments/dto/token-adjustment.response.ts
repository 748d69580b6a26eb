import { ApiProperty } from '@nestjs/swagger';

/** 202: the adjustment is in the outbox; the ledger applies it once its event arrives. */
export class TokenAdjustmentAccepted {
  @ApiProperty({ format: 'uuid', description: 'id of the ledger.tokens.adjusted event (the ledger applies each event id once)' })
  event_id!: string;
}
