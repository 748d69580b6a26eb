import { ApiProperty } from '@nestjs/swagger';

const PRICE_DOC = 'currency units per 1,000,000 tokens, a decimal string (at least 2, at most 6 decimals)';
const DEFAULTED_DOC = (of: string) => `${PRICE_DOC}; null: the ${of} price applies`;

/** One version of a model's prices, in effect from effective_from until the next version. */
export class PriceVersionResponse {
  @ApiProperty({ example: 'gpt-4o' })
  model!: string;

  @ApiProperty({ format: 'date-time' })
  effective_from!: string;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiProperty({ example: '2.50', description: PRICE_DOC })
  input_per_mtok!: string;

  @ApiProperty({ type: String, nullable: true, example: '1.25', description: DEFAULTED_DOC('input') })
  cached_input_per_mtok!: string | null;

  @ApiProperty({ type: String, nullable: true, description: DEFAULTED_DOC('input') })
  cache_write_per_mtok!: string | null;

  @ApiProperty({ example: '10.00', description: PRICE_DOC })
  output_per_mtok!: string;

  @ApiProperty({ type: String, nullable: true, description: DEFAULTED_DOC('output') })
  reasoning_per_mtok!: string | null;

  @ApiProperty({ description: 'who added it (the token subject, or the seed file)' })
  created_by!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;
}

export class PriceVersionCreatedResponse extends PriceVersionResponse {
  @ApiProperty({
    type: 'integer',
    description: 'events of this model applied already since effective_from: they keep their price until a reprice corrects them',
  })
  applied_events_since!: number;
}

export class ModelPricesSummary {
  @ApiProperty()
  model!: string;

  @ApiProperty({ type: PriceVersionResponse, description: 'the newest version' })
  current!: PriceVersionResponse;

  @ApiProperty({ type: [PriceVersionResponse], description: 'newest first' })
  versions!: PriceVersionResponse[];
}

export class PriceBookResponse {
  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiProperty({ type: [ModelPricesSummary] })
  models!: ModelPricesSummary[];
}

export class ModelPricesResponse {
  @ApiProperty()
  model!: string;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiProperty({ type: [PriceVersionResponse], description: 'newest first' })
  versions!: PriceVersionResponse[];
}

export class RepriceModelChange {
  @ApiProperty({ type: String, nullable: true })
  model!: string | null;

  @ApiProperty({ type: 'integer', description: 'events whose cost changes' })
  events!: number;

  @ApiProperty({ type: 'integer', description: 'signed, integer micro-units' })
  cost_delta_micros!: number;

  @ApiProperty({ type: 'integer', description: 'events unpriced until now' })
  newly_priced!: number;
}

export class RepriceResponse {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for a dry run (nothing written)' })
  reprice_id!: string | null;

  @ApiProperty()
  dry_run!: boolean;

  @ApiProperty({ format: 'date-time' })
  from!: string;

  @ApiProperty({ format: 'date-time' })
  to!: string;

  @ApiProperty({ type: [String], nullable: true, description: 'null: every model' })
  models!: string[] | null;

  @ApiProperty({ example: 'USD' })
  currency!: string;

  @ApiProperty({ type: 'integer', description: 'events in [from, to) of the models' })
  events_examined!: number;

  @ApiProperty({ type: 'integer', description: 'correcting journal entries written (dry run: that would be)' })
  events_corrected!: number;

  @ApiProperty({ type: 'integer', description: 'signed, integer micro-units' })
  cost_delta_micros!: number;

  @ApiProperty({ type: 'integer' })
  newly_priced!: number;

  @ApiProperty({ type: [RepriceModelChange] })
  by_model!: RepriceModelChange[];
}
